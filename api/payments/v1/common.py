"""What every v1 router shares: the v3 service (the same one the v3 routes use), JSON bodies,
the v1 list parameters and cursors, and which connector a v1 path names.

v1 lists take `pageSize` (1 to 1000, default 15), `cursor`, and a query-builder filter as the
`query` parameter (a JSON string) or as the body, as Formance reads either; `sort` is accepted
and the v3 order kept. A cursor carries the page size and the filter, so a next page needs
nothing else (base64url JSON, domain/pagination.py)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.dependencies import dependencies

# One cursor token for v1 and v3 lists (a v1 list pages as its v3 counterpart does).
from api.payments.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from api.payments.v1.errors import V1Route
from domain.errors import ValidationError
from domain.pagination import decode_token
from domain.payments.models import Connector
from domain.payments.query import parse_filters
from domain.payments.registry import provider
from domain.payments.service import PaymentsService
from domain.payments.v1.connectors import check_provider, only_connector
from domain.payments.v1.providers import v3_provider
from storage.payments.store import PgPaymentsStore

MAX_OFFSET = 2**62


def v1_router() -> APIRouter:
    return APIRouter(tags=["payments.v1"], route_class=V1Route)


def _service(request: Request) -> PaymentsService:
    deps = dependencies(request)
    return PaymentsService(PgPaymentsStore(deps.database),
                           min_polling_period=deps.modules.payments.min_polling_period)


Payments = Annotated[PaymentsService, Depends(_service)]
PageSize = Annotated[int | None, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query()]
QueryParam = Annotated[str | None, Query(alias="query")]
Sort = Annotated[list[str] | None, Query()]


async def json_body(request: Request, *, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ValidationError("a JSON body is required")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("the body is not valid JSON") from None


async def json_object(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    return body


async def listing(request: Request, page_size: int | None, cursor: str | None,
                  query: str | None, keys: Collection[str]
                  ) -> tuple[int, int, dict[str, str]]:
    """(offset, page size, filters) from the cursor, else from the parameters."""
    if cursor:
        state = decode_token(cursor)
        offset, size, filters = (state.get("offset"), state.get("pageSize"),
                                 state.get("filters", {}))
        # Client input like any other: an offset past bigint would fail in PostgreSQL, and its
        # filters pass the same check as a query's (a key the list does not have, a NUL).
        if not (isinstance(offset, int) and 0 <= offset <= MAX_OFFSET and isinstance(size, int)
                and 1 <= size <= MAX_PAGE_SIZE and isinstance(filters, dict)):
            raise ValidationError("invalid cursor")
        try:
            parse_filters({"$and": [{"$match": {k: v}} for k, v in filters.items()]}, keys)
        except ValidationError:
            raise ValidationError("invalid cursor") from None
        return offset, page_size or size, filters
    raw: Any = await json_body(request, required=False)
    if raw is None and query:
        try:
            raw = json.loads(query)
        except ValueError:
            raise ValidationError("query must be a JSON query-builder object") from None
    return 0, page_size or DEFAULT_PAGE_SIZE, parse_filters(raw, keys)


async def all_connectors(payments: PaymentsService) -> list[Connector]:
    """Every installed connector (a handful: v1 lists them without pages)."""
    found: list[Connector] = []
    while True:
        page = await payments.connectors(len(found), MAX_PAGE_SIZE)
        found.extend(page.data)
        if not page.has_more:
            return found


async def provider_connector(payments: PaymentsService, name: str) -> Connector:
    """The single connector of the provider a provider-only path names."""
    spec = provider(v3_provider(name))
    return only_connector(spec.name, await all_connectors(payments))


async def named_connector(payments: PaymentsService, name: str, connector_id: str
                          ) -> Connector:
    """The connector a path names by provider and id."""
    spec = provider(v3_provider(name))
    return check_provider(await payments.connector(connector_id), spec.name)
