"""Routes of the payments v3 payment service users and their open banking (operation ids as in
the spec), plus the callback an open-banking link brings the user back to (Ledgerflow's own:
Formance's providers call their own endpoints). Thin: the rules live in
domain/payments/psu_service.py and the link workflow."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.payments import psu_schemas as u
from api.payments.listing import cursor_page, json_body, listing
from api.payments.psu_temporal import psu_service
from api.payments.router import Cursor, PageSize, Payments
from api.payments.temporal import start_forward
from domain.payments.errors import InvalidBodyError
from domain.payments.models import TaskStatus
from domain.payments.psu_service import PaymentServiceUsersService

router = APIRouter(prefix="/v3", tags=["payments.v3"])

PSUs = Annotated[PaymentServiceUsersService, Depends(psu_service)]
BASE = "/payment-service-users/{paymentServiceUserID}"
CONNECTOR = BASE + "/connectors/{connectorID}"


def _callback(request: Request, connector_id: str) -> str:
    # Beside this route, under the same /v3 (the module may be served under a gateway
    # prefix, /api/payments, that this router does not know).
    url = str(request.url.replace(query=""))
    root = url[:url.rindex("/v3/payment-service-users/")]
    return f"{root}/v3/connectors/{quote(connector_id, safe='')}/open-banking/callback"


def _task(task_id: str) -> JSONResponse:
    return JSONResponse({"data": {"taskID": task_id}}, status_code=202)


@router.post("/payment-service-users", operation_id="v3CreatePaymentServiceUser",
             status_code=201)
async def create_payment_service_user(request: Request, psus: PSUs) -> JSONResponse:
    created = await psus.create(await json_body(request, required=True))
    return JSONResponse({"data": created.id}, status_code=201)


@router.get("/payment-service-users", operation_id="v3ListPaymentServiceUsers")
async def list_payment_service_users(request: Request, psus: PSUs, pageSize: PageSize = None,
                                     cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {})
    return cursor_page(await psus.psus(offset, size), u.psu, offset, size, {})


@router.get(BASE, operation_id="v3GetPaymentServiceUser")
async def get_payment_service_user(paymentServiceUserID: str, psus: PSUs) -> dict[str, Any]:
    return {"data": u.psu(await psus.psu(paymentServiceUserID))}


@router.delete(BASE, operation_id="v3DeletePaymentServiceUser", status_code=202)
async def delete_payment_service_user(paymentServiceUserID: str, psus: PSUs) -> JSONResponse:
    return _task((await psus.delete(paymentServiceUserID)).id)


@router.get(BASE + "/connections", operation_id="v3ListPaymentServiceUserConnections")
async def list_payment_service_user_connections(
        request: Request, paymentServiceUserID: str, psus: PSUs, pageSize: PageSize = None,
        cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {})
    page = await psus.connections(paymentServiceUserID, None, offset, size)
    return cursor_page(page, u.connection, offset, size, {})


@router.post(BASE + "/bank-accounts/{bankAccountID}",
             operation_id="v3AddBankAccountToPaymentServiceUser", status_code=204)
async def add_bank_account_to_payment_service_user(paymentServiceUserID: str,
                                                   bankAccountID: str, psus: PSUs) -> Response:
    await psus.add_bank_account(paymentServiceUserID, bankAccountID)
    return Response(status_code=204)


@router.post(BASE + "/bank-accounts/{bankAccountID}/forward",
             operation_id="v3ForwardPaymentServiceUserBankAccount", status_code=202)
async def forward_payment_service_user_bank_account(
        request: Request, paymentServiceUserID: str, bankAccountID: str, psus: PSUs,
        payments: Payments) -> JSONResponse:
    body = await json_body(request, required=True)
    if not isinstance(body, dict):
        raise InvalidBodyError("the body must be a JSON object with connectorID")
    await psus.check_bank_account(paymentServiceUserID, bankAccountID)
    # The bank account is forwarded as any bank account is (its own workflow and task).
    task = await payments.begin_forward(bankAccountID, body.get("connectorID"))
    if task.status is not TaskStatus.SUCCEEDED:
        await start_forward(request, payments, bankAccountID, task)
    return _task(task.id)


@router.post(CONNECTOR + "/forward", operation_id="v3ForwardPaymentServiceUserToProvider",
             status_code=204)
async def forward_payment_service_user_to_provider(paymentServiceUserID: str,
                                                   connectorID: str, psus: PSUs) -> Response:
    await psus.forward(paymentServiceUserID, connectorID)
    return Response(status_code=204)


@router.delete(CONNECTOR, operation_id="v3DeletePaymentServiceUserConnector",
               status_code=202)
async def delete_payment_service_user_connector(paymentServiceUserID: str, connectorID: str,
                                                psus: PSUs) -> JSONResponse:
    return _task((await psus.remove_from_connector(paymentServiceUserID, connectorID)).id)


@router.post(CONNECTOR + "/create-link", operation_id="v3CreateLinkForPaymentServiceUser",
             status_code=201)
async def create_link_for_payment_service_user(request: Request, paymentServiceUserID: str,
                                               connectorID: str, psus: PSUs) -> JSONResponse:
    body = await json_body(request, required=True)
    link = await psus.create_link(paymentServiceUserID, connectorID, body,
                                  _callback(request, connectorID))
    return JSONResponse({"attemptID": link.attempt_id, "link": link.link}, status_code=201)


@router.get(CONNECTOR + "/connections",
            operation_id="v3ListPaymentServiceUserConnectionsFromConnectorID")
async def list_payment_service_user_connections_from_connector(
        request: Request, paymentServiceUserID: str, connectorID: str, psus: PSUs,
        pageSize: PageSize = None, cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {})
    page = await psus.connections(paymentServiceUserID, connectorID, offset, size)
    return cursor_page(page, u.connection, offset, size, {})


@router.get(CONNECTOR + "/link-attempts",
            operation_id="v3ListPaymentServiceUserLinkAttemptsFromConnectorID")
async def list_payment_service_user_link_attempts(
        request: Request, paymentServiceUserID: str, connectorID: str, psus: PSUs,
        pageSize: PageSize = None, cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {})
    page = await psus.attempts(paymentServiceUserID, connectorID, offset, size)
    return cursor_page(page, u.attempt, offset, size, {})


@router.get(CONNECTOR + "/link-attempts/{attemptID}",
            operation_id="v3GetPaymentServiceUserLinkAttemptFromConnectorID")
async def get_payment_service_user_link_attempt(paymentServiceUserID: str, connectorID: str,
                                                attemptID: str, psus: PSUs) -> dict[str, Any]:
    # Not wrapped in `data`: the spec answers the attempt itself.
    return u.attempt(await psus.attempt(paymentServiceUserID, connectorID, attemptID))


@router.delete(CONNECTOR + "/connections/{connectionID}",
               operation_id="v3DeletePaymentServiceUserConnectionFromConnectorID",
               status_code=202)
async def delete_payment_service_user_connection(paymentServiceUserID: str, connectorID: str,
                                                 connectionID: str, psus: PSUs) -> JSONResponse:
    task = await psus.delete_connection(paymentServiceUserID, connectorID, connectionID)
    return _task(task.id)


@router.post(CONNECTOR + "/connections/{connectionID}/update-link",
             operation_id="v3UpdateLinkForPaymentServiceUserOnConnector", status_code=201)
async def update_link_for_payment_service_user(request: Request, paymentServiceUserID: str,
                                               connectorID: str, connectionID: str,
                                               psus: PSUs) -> JSONResponse:
    body = await json_body(request, required=True)
    link = await psus.update_link(paymentServiceUserID, connectorID, connectionID, body,
                                  _callback(request, connectorID))
    return JSONResponse({"attemptID": link.attempt_id, "link": link.link}, status_code=201)


@router.get("/connectors/{connectorID}/open-banking/callback",
            operation_id="v3OpenBankingCallback", include_in_schema=False)
async def open_banking_callback(connectorID: str, attemptID: str, psus: PSUs) -> Response:
    """Where a link brings the user back: the attempt is completed (or exits with the
    provider's error) and the user is sent on to the client's redirect URL."""
    attempt = await psus.complete_link(connectorID, attemptID)
    query = urlencode({"attemptID": attempt.id, "status": attempt.status.value,
                       **({"error": attempt.error} if attempt.error else {})})
    separator = "&" if "?" in attempt.client_redirect_url else "?"
    return RedirectResponse(f"{attempt.client_redirect_url}{separator}{query}",
                            status_code=303)
