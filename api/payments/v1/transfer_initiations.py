"""v1 transfer initiations: the v3 payment initiations service (the same objects, ids and
workflows) with v1 statuses (domain/payments/v1/transfer_initiations.py) and v1 answers: a
create answers with the transfer initiation, every action with 204. `POST .../status` with
VALIDATED approves, with REJECTED rejects. A create may name the connector by provider only
(`provider`, for the provider's single connector), as the legacy API allowed."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse

from api.payments.initiations_temporal import initiations_service
from api.payments.listing import MAX_PAGE_SIZE, cursor_page
from api.payments.v1 import schemas as s
from api.payments.v1.common import (
    Cursor,
    PageSize,
    Payments,
    QueryParam,
    Sort,
    json_object,
    listing,
    provider_connector,
    v1_router,
)
from domain.errors import ValidationError
from domain.pagination import Page
from domain.payments.initiations import InitiationAdjustment, InitiationStatus
from domain.payments.initiations_service import PaymentInitiationsService
from domain.payments.v1 import transfer_initiations as ti
from storage.payments.initiations_store import INITIATION_FILTERS

router = v1_router()

T = TypeVar("T")

Initiations = Annotated[PaymentInitiationsService, Depends(initiations_service)]


@router.get("/transfer-initiations", operation_id="listTransferInitiations")
async def list_transfer_initiations(request: Request, initiations: Initiations,
                                    pageSize: PageSize = None, cursor: Cursor = None,
                                    query: QueryParam = None,
                                    sort: Sort = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, query, INITIATION_FILTERS)
    filters = ti.v3_filters(filters)
    page = await initiations.initiations(filters, offset, size)
    rendered = []
    for initiation in page.data:
        # Only a reversed one needs its history: partially or wholly reversed.
        adjustments = (await _adjustments(initiations, initiation.id)
                       if initiation.status is InitiationStatus.REVERSED else None)
        rendered.append(s.transfer_initiation(initiation, adjustments))
    return cursor_page(Page(data=rendered, page_size=size, has_more=page.has_more),
                       None, offset, size, filters)


@router.post("/transfer-initiations", operation_id="createTransferInitiation")
async def create_transfer_initiation(request: Request, initiations: Initiations,
                                     payments: Payments) -> JSONResponse:
    body = await json_object(request)
    connector_id = body.get("connectorID")
    if connector_id is None or connector_id == "":
        name = body.get("provider")
        if not isinstance(name, str) or not name:
            raise ValidationError("connectorID is required (or provider, for the single "
                                  "connector of that provider)")
        connector_id = (await provider_connector(payments, name)).id
    created = await initiations.create(ti.v3_initiation_body(body, connector_id),
                                       no_validation=ti.validated(body))
    return JSONResponse({"data": await _read(initiations, created.initiation_id)})


@router.get("/transfer-initiations/{transferId}", operation_id="getTransferInitiation")
async def get_transfer_initiation(transferId: str, initiations: Initiations) -> dict[str, Any]:
    return {"data": await _read(initiations, transferId)}


@router.delete("/transfer-initiations/{transferId}", operation_id="deleteTransferInitiation",
               status_code=204)
async def delete_transfer_initiation(transferId: str, initiations: Initiations) -> Response:
    await initiations.delete(transferId)
    return Response(status_code=204)


@router.post("/transfer-initiations/{transferId}/status",
             operation_id="updateTransferInitiationStatus", status_code=204)
async def update_transfer_initiation_status(request: Request, transferId: str,
                                            initiations: Initiations) -> Response:
    action = ti.status_action(await json_object(request))
    if action is ti.Action.APPROVE:
        await initiations.approve(transferId)
    else:
        await initiations.reject(transferId)
    return Response(status_code=204)


@router.post("/transfer-initiations/{transferId}/retry",
             operation_id="retryTransferInitiation", status_code=204)
async def retry_transfer_initiation(transferId: str, initiations: Initiations) -> Response:
    await initiations.retry(transferId)
    return Response(status_code=204)


@router.post("/transfer-initiations/{transferId}/reverse",
             operation_id="reverseTransferInitiation", status_code=204)
async def reverse_transfer_initiation(request: Request, transferId: str,
                                      initiations: Initiations) -> Response:
    await initiations.reverse(transferId, await json_object(request))
    return Response(status_code=204)


@router.post("/connectors/{connector}/transfers", operation_id="connectorsTransfer")
async def connectors_transfer(request: Request, connector: str, initiations: Initiations,
                              payments: Payments) -> dict[str, Any]:
    """A transfer on the provider's single connector, sent at once: a v3 transfer initiation
    created validated, under a reference of its own (the answer's id is the initiation's)."""
    found = await provider_connector(payments, connector)
    body = ti.transfer_body(await json_object(request), found.id, f"transfer-{uuid.uuid4()}")
    created = await initiations.create(body, no_validation=True)
    return {"id": created.initiation_id}


async def _read(initiations: PaymentInitiationsService, initiation_id: str) -> dict[str, Any]:
    initiation = await initiations.initiation(initiation_id)
    adjustments = await _adjustments(initiations, initiation.id)
    payments = await _all(lambda offset: initiations.related_payments(initiation.id, offset,
                                                                      MAX_PAGE_SIZE))
    return s.transfer_initiation(initiation, adjustments, payments)


async def _adjustments(initiations: PaymentInitiationsService,
                       initiation_id: str) -> list[InitiationAdjustment]:
    return await _all(lambda offset: initiations.adjustments(initiation_id, offset,
                                                             MAX_PAGE_SIZE))


async def _all(page_at: Callable[[int], Awaitable[Page[T]]]) -> list[T]:
    """Every item of a list read page after page (a transfer initiation shows all of its
    adjustments and payments)."""
    found: list[T] = []
    while True:
        page = await page_at(len(found))
        found.extend(page.data)
        if not page.has_more:
            return found
