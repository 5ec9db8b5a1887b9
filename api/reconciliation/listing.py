"""Pages of the reconciliation lists: `pageSize` (default 15, at most 1000) and `cursor`, whose
token (domain/pagination.py) carries the offset, the page size and the filters, so that a next
page needs nothing else (Formance: with a cursor, every other parameter is ignored)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from fastapi import Request

from domain.errors import ValidationError
from domain.pagination import Page, decode_token, encode_token
from domain.payments.query import parse_filters

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 2**62


async def json_body(request: Request, *, required: bool) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ValidationError("a JSON body is required")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("the body is not valid JSON") from None


async def listing(request: Request, page_size: int | None, cursor: str | None,
                  keys: Collection[str] = ()) -> tuple[int, int, dict[str, str]]:
    """(offset, page size, filters) from the cursor, or else from the parameters and the
    query-builder body (`$match` on `keys`, `$and` of matches)."""
    if cursor:
        state = decode_token(cursor)
        offset, size, filters = (state.get("offset"), state.get("pageSize"),
                                 state.get("filters", {}))
        if not (isinstance(offset, int) and 0 <= offset <= MAX_OFFSET and isinstance(size, int)
                and 1 <= size <= MAX_PAGE_SIZE and isinstance(filters, dict)
                and all(isinstance(v, str) for v in filters.values())
                and set(filters) <= set(keys)):
            raise ValidationError("invalid cursor")
        return offset, size, filters
    query = await json_body(request, required=False) if keys else None
    return 0, page_size or DEFAULT_PAGE_SIZE, parse_filters(query, keys)


def cursor(page: Page[Any], render: Callable[[Any], Any], offset: int, size: int,
           filters: dict[str, str] | None = None) -> dict[str, Any]:
    def token(at: int) -> str:
        return encode_token({"offset": at, "pageSize": size, "filters": filters or {}})

    result = Page(data=page.data, page_size=size, has_more=page.has_more,
                  next=token(offset + size) if page.has_more else None,
                  previous=token(max(0, offset - size)) if offset > 0 else None)
    return {"cursor": result.envelope(render)}
