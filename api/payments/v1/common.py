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

from api import offset_pages
from api.dependencies import dependencies
from api.offset_pages import read_cursor
from api.payments.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from api.payments.v1.errors import V1Route
from domain.errors import ValidationError
from domain.payments.models import Connector
from domain.payments.query import parse_filters
from domain.payments.registry import provider
from domain.payments.service import PaymentsService
from domain.payments.v1.connectors import check_provider, only_connector
from domain.payments.v1.providers import v3_provider
from storage.payments.store import PgPaymentsStore


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
    return await offset_pages.json_body(request, required=required)


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
        # A cursor's filters pass the same check as a query's (a key the list does not have).
        def known(filters: dict[str, str]) -> bool:
            try:
                parse_filters({"$and": [{"$match": {k: v}} for k, v in filters.items()]}, keys)
            except ValidationError:
                return False
            return True
        offset, size, filters = read_cursor(cursor, known)
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
