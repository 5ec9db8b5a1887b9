"""v1 accounts and their balances, on the v3 service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from api.payments.listing import cursor_page
from api.payments.v1 import schemas as s
from api.payments.v1.common import (
    Cursor,
    PageSize,
    Payments,
    QueryParam,
    Sort,
    json_body,
    listing,
    v1_router,
)
from domain.errors import ValidationError
from storage.payments.store import ACCOUNT_FILTERS

router = v1_router()

Limit = Annotated[int | None, Query(ge=1, le=1000)]


@router.get("/accounts", operation_id="payments_listAccounts")
async def list_accounts(request: Request, payments: Payments, pageSize: PageSize = None,
                        cursor: Cursor = None, query: QueryParam = None,
                        sort: Sort = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, query, ACCOUNT_FILTERS)
    page = await payments.accounts(filters, offset, size)
    return cursor_page(page, s.account, offset, size, filters)


@router.post("/accounts", operation_id="createAccount")
async def create_account(request: Request, payments: Payments) -> JSONResponse:
    # The v1 body has the v3 body's names (accountName, defaultAsset, ...).
    account = await payments.create_account(await json_body(request))
    return JSONResponse({"data": s.account(account)})


@router.get("/accounts/{accountId}", operation_id="payments_getAccount")
async def get_account(accountId: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.account(await payments.account(accountId))}


@router.get("/accounts/{accountId}/balances", operation_id="getAccountBalances")
async def get_account_balances(request: Request, accountId: str, payments: Payments,
                               pageSize: PageSize = None, cursor: Cursor = None,
                               limit: Limit = None, asset: str | None = None,
                               sort: Sort = None,
                               from_: Annotated[datetime | None, Query(alias="from")] = None,
                               to: datetime | None = None) -> dict[str, Any]:
    if from_ is not None or to is not None:
        # Refused rather than ignored: the v3 core lists an account's balances without a time
        # range, and a client must not take the whole history for the range it asked.
        raise ValidationError("from and to are not supported yet: leave them out to list all "
                              "of the account's balances, newest first")
    offset, size, filters = await listing(request, pageSize or limit, cursor, None, ("asset",))
    asset = filters.get("asset", asset)
    page = await payments.balances(accountId, asset, offset, size)
    return cursor_page(page, s.balance, offset, size, {"asset": asset} if asset else {})
