"""v1 payments, on the v3 service: a v1 payment created by hand is a v3 payment with one
adjustment (domain/payments/v1/payments.py translates the body)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
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
from domain.payments.v1.payments import v3_payment_body
from storage.payments.store import PAYMENT_FILTERS

router = v1_router()


@router.get("/payments", operation_id="listPayments")
async def list_payments(request: Request, payments: Payments, pageSize: PageSize = None,
                        cursor: Cursor = None, query: QueryParam = None,
                        sort: Sort = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, query, PAYMENT_FILTERS)
    page = await payments.payments(filters, offset, size)
    return cursor_page(page, s.payment, offset, size, filters)


@router.post("/payments", operation_id="createPayment")
async def create_payment(request: Request, payments: Payments) -> JSONResponse:
    payment = await payments.create_payment(v3_payment_body(await json_body(request)))
    return JSONResponse({"data": s.payment(payment)})


@router.get("/payments/{paymentId}", operation_id="getPayment")
async def get_payment(paymentId: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.payment(await payments.payment(paymentId))}


@router.patch("/payments/{paymentId}/metadata", operation_id="updateMetadata",
              status_code=204)
async def update_metadata(request: Request, paymentId: str, payments: Payments) -> Response:
    # The v1 body is the metadata object itself (v3 wraps it in {"metadata": ...}).
    await payments.add_payment_metadata(paymentId, await json_body(request))
    return Response(status_code=204)
