"""v1 bank accounts, on the v3 service and the v3 forward workflow. Unlike v3 (202 and a task),
a v1 forward answers with the bank account once the connector has created its external
account, as Formance's v1 API waits for the forward; a create naming a connector forwards it
the same way. The connector is checked before anything is written."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from api.payments.listing import cursor_page
from api.payments.temporal import start_forward
from api.payments.v1 import schemas as s
from api.payments.v1.common import (
    Cursor,
    PageSize,
    Payments,
    json_object,
    listing,
    v1_router,
)
from domain.availability import ServiceUnavailableError
from domain.errors import ValidationError
from domain.payments import ids
from domain.payments.models import BankAccount, Capability, TaskStatus
from domain.payments.service import PaymentsService

router = v1_router()

# How long a v1 forward waits for the connector (the forward itself goes on after that).
FORWARD_WAIT_S = 30.0
_POLL_S = 0.1


@router.post("/bank-accounts", operation_id="createBankAccount")
async def create_bank_account(request: Request, payments: Payments) -> JSONResponse:
    body = await json_object(request)
    connector_id = body.get("connectorID")
    if connector_id is not None:
        if not isinstance(connector_id, str) or not connector_id:
            raise ValidationError("connectorID must be a connector id")
        # The same check the forward makes, made first: a refused connector leaves no bank
        # account behind.
        await payments._capable(ids.ConnectorID.parse(connector_id),
                                Capability.CREATE_BANK_ACCOUNT)
    bank = await payments.create_bank_account(
        {k: v for k, v in body.items() if k != "connectorID"})
    if connector_id is not None:
        bank = await _forward(request, payments, bank.id, connector_id)
    return JSONResponse({"data": s.bank_account(bank)})


@router.get("/bank-accounts", operation_id="listBankAccounts")
async def list_bank_accounts(request: Request, payments: Payments, pageSize: PageSize = None,
                             cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, None, ())
    page = await payments.bank_accounts(offset, size)
    return cursor_page(page, s.bank_account, offset, size, {})


@router.get("/bank-accounts/{bankAccountId}", operation_id="getBankAccount")
async def get_bank_account(bankAccountId: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.bank_account(await payments.bank_account(bankAccountId))}


@router.patch("/bank-accounts/{bankAccountId}/metadata",
              operation_id="updateBankAccountMetadata", status_code=204)
async def update_bank_account_metadata(request: Request, bankAccountId: str,
                                       payments: Payments) -> Response:
    body = await json_object(request)
    if body.get("metadata") is None:
        raise ValidationError("the body must be a JSON object with metadata")
    await payments.add_bank_account_metadata(bankAccountId, body["metadata"])
    return Response(status_code=204)


@router.post("/bank-accounts/{bankAccountId}/forward", operation_id="forwardBankAccount")
async def forward_bank_account(request: Request, bankAccountId: str,
                               payments: Payments) -> dict[str, Any]:
    body = await json_object(request)
    bank = await _forward(request, payments, bankAccountId, body.get("connectorID"))
    return {"data": s.bank_account(bank)}


async def _forward(request: Request, payments: PaymentsService, bank_account_id: str,
                   connector_id: Any) -> BankAccount:
    task = await payments.begin_forward(bank_account_id, connector_id)
    if task.status is not TaskStatus.SUCCEEDED:
        await start_forward(request, payments, bank_account_id, task)
    deadline = time.monotonic() + FORWARD_WAIT_S
    while task.status is TaskStatus.PROCESSING:
        if time.monotonic() > deadline:
            raise ServiceUnavailableError(
                f"the connector has not created the bank account within {FORWARD_WAIT_S:g} s; "
                "the forward goes on: read the bank account later")
        await asyncio.sleep(_POLL_S)
        task = await payments.task(task.id)
    if task.status is TaskStatus.FAILED:
        raise ValidationError(f"the connector refused the bank account: {task.error}")
    return await payments.bank_account(bank_account_id)
