"""v1 pools, on the v3 service: created STATIC with accountIDs or DYNAMIC with a query; the
accounts of a static one added and removed one by one; balances at an instant or latest."""

from __future__ import annotations

from datetime import UTC, datetime
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
    json_object,
    listing,
    v1_router,
)
from domain.errors import ValidationError

router = v1_router()


@router.get("/pools", operation_id="listPools")
async def list_pools(request: Request, payments: Payments, pageSize: PageSize = None,
                     cursor: Cursor = None, query: QueryParam = None,
                     sort: Sort = None) -> dict[str, Any]:
    # The v3 core lists pools unfiltered: a filter is refused (never ignored).
    offset, size, _ = await listing(request, pageSize, cursor, query, ())
    page = await payments.pools(offset, size)
    return cursor_page(page, s.pool, offset, size, {})


@router.post("/pools", operation_id="createPool")
async def create_pool(request: Request, payments: Payments) -> JSONResponse:
    body = await json_object(request)
    pool = await payments.create_pool(body.get("name"), body.get("accountIDs"),
                                      body.get("query"))
    return JSONResponse({"data": s.pool(pool)})


@router.get("/pools/{poolId}", operation_id="getPool")
async def get_pool(poolId: str, payments: Payments) -> dict[str, Any]:
    return {"data": s.pool(await payments.pool(poolId))}


@router.delete("/pools/{poolId}", operation_id="deletePool", status_code=204)
async def delete_pool(poolId: str, payments: Payments) -> Response:
    await payments.delete_pool(poolId)
    return Response(status_code=204)


@router.patch("/pools/{poolId}/query", operation_id="updatePoolQuery", status_code=204)
async def update_pool_query(request: Request, poolId: str, payments: Payments) -> Response:
    body = await json_object(request)
    if not isinstance(body.get("query"), dict):
        raise ValidationError("the body must be a JSON object with a query object")
    await payments.update_pool_query(poolId, body["query"])
    return Response(status_code=204)


@router.post("/pools/{poolId}/accounts", operation_id="addAccountToPool", status_code=204)
async def add_account_to_pool(request: Request, poolId: str, payments: Payments) -> Response:
    account_id = (await json_object(request)).get("accountID")
    if not isinstance(account_id, str) or not account_id:
        raise ValidationError("accountID is required")
    await payments.add_pool_account(poolId, account_id)
    return Response(status_code=204)


@router.delete("/pools/{poolId}/accounts/{accountId}", operation_id="removeAccountFromPool",
               status_code=204)
async def remove_account_from_pool(poolId: str, accountId: str, payments: Payments) -> Response:
    await payments.remove_pool_account(poolId, accountId)
    return Response(status_code=204)


@router.get("/pools/{poolId}/balances", operation_id="getPoolBalances")
async def get_pool_balances(poolId: str, payments: Payments,
                            at: datetime | None = None) -> dict[str, Any]:
    if at is None:
        raise ValidationError("at is required: the instant of the balances (date-time)")
    try:
        # A time without offset is UTC, as Formance reads it; one near the calendar's ends may
        # not exist in UTC at all.
        at = (at.replace(tzinfo=UTC) if at.tzinfo is None else at).astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError(f"at is out of range: {at.isoformat()}") from None
    balances = await payments.pool_balances(poolId, at)
    return {"data": {"balances": [s.pool_balance(b) for b in balances]}}


@router.get("/pools/{poolId}/balances/latest", operation_id="getPoolBalancesLatest")
async def get_pool_balances_latest(poolId: str, payments: Payments) -> dict[str, Any]:
    return {"data": [s.pool_balance(b) for b in await payments.pool_balances(poolId, None)]}
