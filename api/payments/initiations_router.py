"""Routes of the payments v3 payment initiations (operation ids as in the spec). Thin: every
rule lives in domain/payments (the service and the lifecycle) and in the initiation workflow,
so the v1 transfer initiations call the same service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.payments import initiation_schemas as i
from api.payments import schemas as s
from api.payments.initiations_temporal import initiations_service
from api.payments.listing import cursor_page, json_body, listing
from api.payments.router import Cursor, PageSize
from domain.payments.initiations_service import PaymentInitiationsService
from storage.payments.initiations_store import INITIATION_FILTERS

router = APIRouter(prefix="/v3", tags=["payments.v3"])

Initiations = Annotated[PaymentInitiationsService, Depends(initiations_service)]


@router.post("/payment-initiations", operation_id="v3InitiatePayment", status_code=202)
async def initiate_payment(request: Request, initiations: Initiations,
                           noValidation: Annotated[bool, Query()] = False) -> JSONResponse:
    body = await json_body(request, required=True)
    created = await initiations.create(body, no_validation=noValidation)
    data = {"paymentInitiationID": created.initiation_id}
    if created.task_id is not None:
        data["taskID"] = created.task_id
    return JSONResponse({"data": data}, status_code=202)


@router.get("/payment-initiations", operation_id="v3ListPaymentInitiations")
async def list_payment_initiations(request: Request, initiations: Initiations,
                                   pageSize: PageSize = None,
                                   cursor: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, INITIATION_FILTERS)
    page = await initiations.initiations(filters, offset, size)
    return cursor_page(page, i.initiation, offset, size, filters)


@router.get("/payment-initiations/{paymentInitiationID}",
            operation_id="v3GetPaymentInitiation")
async def get_payment_initiation(paymentInitiationID: str,
                                 initiations: Initiations) -> dict[str, Any]:
    return {"data": i.initiation(await initiations.initiation(paymentInitiationID))}


@router.delete("/payment-initiations/{paymentInitiationID}",
               operation_id="v3DeletePaymentInitiation", status_code=204)
async def delete_payment_initiation(paymentInitiationID: str,
                                    initiations: Initiations) -> Response:
    await initiations.delete(paymentInitiationID)
    return Response(status_code=204)


@router.post("/payment-initiations/{paymentInitiationID}/approve",
             operation_id="v3ApprovePaymentInitiation", status_code=202)
async def approve_payment_initiation(paymentInitiationID: str,
                                     initiations: Initiations) -> JSONResponse:
    task_id = await initiations.approve(paymentInitiationID)
    return JSONResponse({"data": {"taskID": task_id}}, status_code=202)


@router.post("/payment-initiations/{paymentInitiationID}/reject",
             operation_id="v3RejectPaymentInitiation", status_code=204)
async def reject_payment_initiation(paymentInitiationID: str,
                                    initiations: Initiations) -> Response:
    await initiations.reject(paymentInitiationID)
    return Response(status_code=204)


@router.post("/payment-initiations/{paymentInitiationID}/retry",
             operation_id="v3RetryPaymentInitiation", status_code=202)
async def retry_payment_initiation(paymentInitiationID: str,
                                   initiations: Initiations) -> JSONResponse:
    task_id = await initiations.retry(paymentInitiationID)
    return JSONResponse({"data": {"taskID": task_id}}, status_code=202)


@router.post("/payment-initiations/{paymentInitiationID}/reverse",
             operation_id="v3ReversePaymentInitiation", status_code=202)
async def reverse_payment_initiation(request: Request, paymentInitiationID: str,
                                     initiations: Initiations) -> JSONResponse:
    body = await json_body(request, required=True)
    started = await initiations.reverse(paymentInitiationID, body)
    return JSONResponse({"data": {"taskID": started.task_id,
                                  "paymentInitiationReversalID": started.reversal_id}},
                        status_code=202)


@router.get("/payment-initiations/{paymentInitiationID}/adjustments",
            operation_id="v3ListPaymentInitiationAdjustments")
async def list_payment_initiation_adjustments(request: Request, paymentInitiationID: str,
                                              initiations: Initiations,
                                              pageSize: PageSize = None,
                                              cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {}, body=False)
    page = await initiations.adjustments(paymentInitiationID, offset, size)
    return cursor_page(page, i.adjustment, offset, size, {})


@router.get("/payment-initiations/{paymentInitiationID}/payments",
            operation_id="v3ListPaymentInitiationRelatedPayments")
async def list_payment_initiation_related_payments(request: Request, paymentInitiationID: str,
                                                   initiations: Initiations,
                                                   pageSize: PageSize = None,
                                                   cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {}, body=False)
    page = await initiations.related_payments(paymentInitiationID, offset, size)
    return cursor_page(page, s.payment, offset, size, {})
