"""Routes of the payments v3 spec (operation ids as in the spec). Lists take `pageSize`,
`cursor` and an optional query-builder JSON body (`$match` on the listed keys, `$and` of
matches); the cursor carries the filter, so a next page needs nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.dependencies import dependencies
from api.modules import VERSION
from api.payments import schemas as s
from api.payments.listing import MAX_PAGE_SIZE, cursor_page, json_body, listing
from api.payments.temporal import (
    start_forward,
    start_install,
    start_schedules_update,
    start_uninstall,
)
from domain.errors import ValidationError
from domain.payments.errors import InvalidBodyError
from domain.payments.models import TaskStatus
from domain.payments.registry import PROVIDERS
from domain.payments.service import PaymentsService
from storage.payments.store import (
    ACCOUNT_FILTERS,
    CONVERSION_FILTERS,
    ORDER_FILTERS,
    PAYMENT_FILTERS,
    PgPaymentsStore,
)

router = APIRouter(prefix="/v3", tags=["payments.v3"])



def _service(request: Request) -> PaymentsService:
    deps = dependencies(request)
    return PaymentsService(PgPaymentsStore(deps.database),
                           min_polling_period=deps.modules.payments.min_polling_period)


Payments = Annotated[PaymentsService, Depends(_service)]
PageSize = Annotated[int | None, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query()]


@router.get("/_info", operation_id="v3GetInfo")
async def get_info() -> dict[str, str]:
    return {"name": "payments", "version": VERSION}


# --- connectors ---------------------------------------------------------------------------------

@router.get("/connectors", operation_id="v3ListConnectors")
async def list_connectors(request: Request, payments: Payments, pageSize: PageSize = None,
                          cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {})
    page = await payments.connectors(offset, size)
    return cursor_page(page, s.connector, offset, size, {})


@router.get("/connectors/configs", operation_id="v3ListConnectorConfigs")
async def list_connector_configs() -> dict[str, Any]:
    return {"data": {name: {f.name: f.describe() for f in spec.all_fields()}
                     for name, spec in sorted(PROVIDERS.items())}}


@router.get("/connectors/capabilities", operation_id="v3ListConnectorCapabilities")
async def list_connector_capabilities() -> dict[str, Any]:
    return {"data": {name: [c.value for c in spec.capabilities]
                     for name, spec in sorted(PROVIDERS.items())}}


@router.post("/connectors/install/{connector}", operation_id="v3InstallConnector",
             status_code=202)
async def install_connector(request: Request, connector: str,
                            payments: Payments) -> JSONResponse:
    config = await json_body(request, required=True)
    installed = await payments.install(connector, config)
    await start_install(request, payments, installed)
    return JSONResponse({"data": installed.id}, status_code=202)


@router.delete("/connectors/{connectorID}", operation_id="v3UninstallConnector",
               status_code=202)
async def uninstall_connector(request: Request, connectorID: str,
                              payments: Payments) -> JSONResponse:
    task = await payments.begin_uninstall(connectorID)
    await start_uninstall(request, payments, task)
    return JSONResponse({"data": {"taskID": task.id}}, status_code=202)


@router.post("/connectors/{connectorID}/reset", operation_id="v3ResetConnector",
             status_code=202)
async def reset_connector(request: Request, connectorID: str,
                          payments: Payments) -> JSONResponse:
    task = await payments.begin_reset(connectorID)
    await start_uninstall(request, payments, task, reset=True)
    return JSONResponse({"data": task.id}, status_code=202)


@router.get("/connectors/{connectorID}/config", operation_id="v3GetConnectorConfig")
async def get_connector_config(connectorID: str, payments: Payments) -> dict[str, Any]:
    return {"data": (await payments.connector(connectorID)).config}


@router.patch("/connectors/{connectorID}/config", operation_id="v3UpdateConnectorConfig",
              status_code=204)
async def update_connector_config(request: Request, connectorID: str,
                                  payments: Payments) -> Response:
    config = await json_body(request, required=True)
    connector = await payments.update_config(connectorID, config)
    await start_schedules_update(request, connector)
    return Response(status_code=204)


@router.get("/connectors/{connectorID}/capabilities",
            operation_id="v3GetConnectorCapabilities")
async def get_connector_capabilities(connectorID: str, payments: Payments) -> dict[str, Any]:
    connector = await payments.connector(connectorID)
    return {"data": [c.value for c in PROVIDERS[connector.provider].capabilities]}


@router.get("/connectors/{connectorID}/schedules", operation_id="v3ListConnectorSchedules")
async def list_connector_schedules(request: Request, connectorID: str, payments: Payments,
                                   pageSize: PageSize = None,
                                   cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {}, body=False)
    page = await payments.schedules(connectorID, offset, size)
    return cursor_page(page, s.schedule, offset, size, {})


@router.get("/connectors/{connectorID}/schedules/{scheduleID}",
            operation_id="v3GetConnectorSchedule")
async def get_connector_schedule(connectorID: str, scheduleID: str,
                                 payments: Payments) -> dict[str, Any]:
    return {"data": s.schedule(await payments.schedule(connectorID, scheduleID))}


@router.get("/connectors/{connectorID}/schedules/{scheduleID}/instances",
            operation_id="v3ListConnectorScheduleInstances")
async def list_connector_schedule_instances(request: Request, connectorID: str,
                                            scheduleID: str, payments: Payments,
                                            pageSize: PageSize = None,
                                            cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {}, body=False)
    page = await payments.instances(connectorID, scheduleID, offset, size)
    return cursor_page(page, s.instance, offset, size, {})


# --- accounts -----------------------------------------------------------------------------------

@router.get("/accounts", operation_id="v3ListAccounts")
async def list_accounts(request: Request, payments: Payments, pageSize: PageSize = None,
                        cursor: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, ACCOUNT_FILTERS)
    page = await payments.accounts(filters, offset, size)
    return cursor_page(page, s.account, offset, size, filters)


@router.post("/accounts", operation_id="v3CreateAccount", status_code=201)
async def create_account(request: Request, payments: Payments) -> JSONResponse:
    body = await json_body(request, required=True)
    account = await payments.create_account(body)
    return JSONResponse({"data": s.account(account)}, status_code=201)


@router.get("/accounts/{accountID}", operation_id="v3GetAccount")
async def get_account(accountID: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.account(await payments.account(accountID))}


@router.get("/accounts/{accountID}/balances", operation_id="v3GetAccountBalances")
async def get_account_balances(request: Request, accountID: str, payments: Payments,
                               pageSize: PageSize = None, cursor: Cursor = None,
                               asset: str | None = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, {}, body=False)
    asset = filters.get("asset", asset)
    page = await payments.balances(accountID, asset, offset, size)
    return cursor_page(page, s.balance, offset, size, {"asset": asset} if asset else {})


# --- payments -----------------------------------------------------------------------------------

@router.get("/payments", operation_id="v3ListPayments")
async def list_payments(request: Request, payments: Payments, pageSize: PageSize = None,
                        cursor: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, PAYMENT_FILTERS)
    page = await payments.payments(filters, offset, size)
    return cursor_page(page, s.payment, offset, size, filters)


@router.post("/payments", operation_id="v3CreatePayment", status_code=201)
async def create_payment(request: Request, payments: Payments) -> JSONResponse:
    body = await json_body(request, required=True)
    payment = await payments.create_payment(body)
    return JSONResponse({"data": s.payment(payment)}, status_code=201)


@router.get("/payments/{paymentID}", operation_id="v3GetPayment")
async def get_payment(paymentID: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.payment(await payments.payment(paymentID))}


@router.patch("/payments/{paymentID}/metadata", operation_id="v3UpdatePaymentMetadata",
              status_code=204)
async def update_payment_metadata(request: Request, paymentID: str,
                                  payments: Payments) -> Response:
    body = await json_body(request, required=True)
    if not isinstance(body, dict):
        raise InvalidBodyError("the body must be a JSON object with metadata")
    await payments.add_payment_metadata(paymentID, body.get("metadata"))
    return Response(status_code=204)


# --- orders and conversions (read-only: ingested from connectors) ---------------------------------

@router.get("/orders", operation_id="v3ListOrders")
async def list_orders(request: Request, payments: Payments, pageSize: PageSize = None,
                      cursor: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, ORDER_FILTERS)
    page = await payments.orders(filters, offset, size)
    return cursor_page(page, s.order, offset, size, filters)


@router.get("/orders/{orderID}", operation_id="v3GetOrder")
async def get_order(orderID: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.order(await payments.order(orderID))}


@router.get("/conversions", operation_id="v3ListConversions")
async def list_conversions(request: Request, payments: Payments, pageSize: PageSize = None,
                           cursor: Cursor = None) -> dict[str, Any]:
    offset, size, filters = await listing(request, pageSize, cursor, CONVERSION_FILTERS)
    page = await payments.conversions(filters, offset, size)
    return cursor_page(page, s.conversion, offset, size, filters)


@router.get("/conversions/{conversionID}", operation_id="v3GetConversion")
async def get_conversion(conversionID: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.conversion(await payments.conversion(conversionID))}


# --- bank accounts ------------------------------------------------------------------------------

@router.post("/bank-accounts", operation_id="v3CreateBankAccount", status_code=201)
async def create_bank_account(request: Request, payments: Payments) -> JSONResponse:
    body = await json_body(request, required=True)
    bank = await payments.create_bank_account(body)
    return JSONResponse({"data": bank.id}, status_code=201)


@router.get("/bank-accounts", operation_id="v3ListBankAccounts")
async def list_bank_accounts(request: Request, payments: Payments, pageSize: PageSize = None,
                             cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {})
    page = await payments.bank_accounts(offset, size)
    return cursor_page(page, s.bank_account, offset, size, {})


@router.get("/bank-accounts/{bankAccountID}", operation_id="v3GetBankAccount")
async def get_bank_account(bankAccountID: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.bank_account(await payments.bank_account(bankAccountID))}


@router.patch("/bank-accounts/{bankAccountID}/metadata",
              operation_id="v3UpdateBankAccountMetadata", status_code=204)
async def update_bank_account_metadata(request: Request, bankAccountID: str,
                                       payments: Payments) -> Response:
    body = await json_body(request, required=True)
    if not isinstance(body, dict) or body.get("metadata") is None:
        raise InvalidBodyError("the body must be a JSON object with metadata")
    await payments.add_bank_account_metadata(bankAccountID, body["metadata"])
    return Response(status_code=204)


@router.post("/bank-accounts/{bankAccountID}/forward", operation_id="v3ForwardBankAccount",
             status_code=202)
async def forward_bank_account(request: Request, bankAccountID: str,
                               payments: Payments) -> JSONResponse:
    body = await json_body(request, required=True)
    if not isinstance(body, dict):
        raise InvalidBodyError("the body must be a JSON object with connectorID")
    task = await payments.begin_forward(bankAccountID, body.get("connectorID"))
    if task.status is not TaskStatus.SUCCEEDED:
        await start_forward(request, payments, bankAccountID, task)
    return JSONResponse({"data": {"taskID": task.id}}, status_code=202)


# --- pools ------------------------------------------------------------------------------------

@router.post("/pools", operation_id="v3CreatePool", status_code=201)
async def create_pool(request: Request, payments: Payments) -> JSONResponse:
    body = await json_body(request, required=True)
    if not isinstance(body, dict):
        raise InvalidBodyError("the body must be a JSON object")
    pool = await payments.create_pool(body.get("name"), body.get("accountIDs"),
                                      body.get("query"))
    return JSONResponse({"data": pool.id}, status_code=201)


@router.patch("/pools/{poolID}/query", operation_id="v3UpdatePoolQuery", status_code=204)
async def update_pool_query(request: Request, poolID: str, payments: Payments) -> Response:
    body = await json_body(request, required=True)
    if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
        raise InvalidBodyError("the body must be a JSON object with a query object")
    await payments.update_pool_query(poolID, body["query"])
    return Response(status_code=204)


@router.get("/pools", operation_id="v3ListPools")
async def list_pools(request: Request, payments: Payments, pageSize: PageSize = None,
                     cursor: Cursor = None) -> dict[str, Any]:
    offset, size, _ = await listing(request, pageSize, cursor, {})
    page = await payments.pools(offset, size)
    return cursor_page(page, s.pool, offset, size, {})


@router.get("/pools/{poolID}", operation_id="v3GetPool")
async def get_pool(poolID: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.pool(await payments.pool(poolID))}


@router.delete("/pools/{poolID}", operation_id="v3DeletePool", status_code=204)
async def delete_pool(poolID: str, payments: Payments) -> Response:
    await payments.delete_pool(poolID)
    return Response(status_code=204)


@router.get("/pools/{poolID}/balances", operation_id="v3GetPoolBalances")
async def get_pool_balances(poolID: str, payments: Payments,
                            at: datetime | None = None) -> dict[str, Any]:
    if at is not None:
        try:
            # A time without offset is UTC, as Formance reads it; one near the calendar's
            # ends may not exist in UTC at all.
            at = (at.replace(tzinfo=UTC) if at.tzinfo is None else at).astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError(f"at is out of range: {at.isoformat()}") from None
    return {"data": [s.pool_balance(b) for b in await payments.pool_balances(poolID, at)]}


@router.get("/pools/{poolID}/balances/latest", operation_id="v3GetPoolBalancesLatest")
async def get_pool_balances_latest(poolID: str, payments: Payments) -> dict[str, Any]:
    return {"data": [s.pool_balance(b) for b in await payments.pool_balances(poolID, None)]}


@router.post("/pools/{poolID}/accounts/{accountID}", operation_id="v3AddAccountToPool",
             status_code=204)
async def add_account_to_pool(poolID: str, accountID: str, payments: Payments) -> Response:
    await payments.add_pool_account(poolID, accountID)
    return Response(status_code=204)


@router.delete("/pools/{poolID}/accounts/{accountID}",
               operation_id="v3RemoveAccountFromPool", status_code=204)
async def remove_account_from_pool(poolID: str, accountID: str,
                                   payments: Payments) -> Response:
    await payments.remove_pool_account(poolID, accountID)
    return Response(status_code=204)


# --- tasks --------------------------------------------------------------------------------------

@router.get("/tasks/{taskID}", operation_id="v3GetTask")
async def get_task(taskID: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.task(await payments.task(taskID))}
