"""Listing helpers of the payments API (v3 and the legacy v1): one cursor token per list (its
offset, page size and filters, checked like any client input) and one JSON body reader."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from domain.errors import ValidationError
from domain.pagination import Page, decode_token, encode_token
from domain.payments.errors import InvalidBodyError
from domain.payments.query import parse_filters

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 2**62


async def json_body(request: Request, *, required: bool) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise InvalidBodyError("a JSON body is required")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidBodyError("the body is not valid JSON") from None


async def listing(request: Request, page_size: int | None, cursor: str | None,
                   keys: dict[str, Any], *, body: bool = True
                   ) -> tuple[int, int, dict[str, str]]:
    """(offset, page size, filters) from the cursor, or else from the parameters and body."""
    if cursor:
        state = decode_token(cursor)
        offset, size, filters = state.get("offset"), state.get("pageSize"), \
            state.get("filters", {})
        # Cursors are client input: bounded and checked like any other (an offset past
        # PostgreSQL's bigint, or a NUL character, would fail in the database, not here).
        if not (isinstance(offset, int) and 0 <= offset <= MAX_OFFSET and isinstance(size, int)
                and 1 <= size <= MAX_PAGE_SIZE and isinstance(filters, dict)
                and all(isinstance(v, str) and "\x00" not in v for v in filters.values())
                and set(filters) <= set(keys) | {"asset"}):
            raise ValidationError("invalid cursor")
        return offset, size, filters
    query = await json_body(request, required=False) if body else None
    return 0, page_size or DEFAULT_PAGE_SIZE, parse_filters(query, keys)


def cursor_page(page: Page[Any], render: Any, offset: int, size: int,
            filters: dict[str, str]) -> dict[str, Any]:
    def token(at: int) -> str:
        return encode_token({"offset": at, "pageSize": size, "filters": filters})

    result = Page(data=page.data, page_size=size, has_more=page.has_more,
                  next=token(offset + size) if page.has_more else None,
                  previous=token(max(0, offset - size)) if offset > 0 else None)
    return {"cursor": result.envelope(render)}
