"""Offset pages with a cursor token, shared by the lists that page by offset (payments v3 and
v1, reconciliation): `pageSize` (default 15, at most 1000) and `cursor`, whose token
(domain/pagination.py) carries the offset, the page size and the filters, so a next page needs
nothing else (Formance: with a cursor, every other parameter is ignored). Also the JSON body
reader those routes share; each module names the error a bad body is."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from fastapi import Request

from domain.errors import DomainError, ValidationError
from domain.pagination import Page, decode_token, encode_token

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 2**62


def read_cursor(cursor: str, keys: Collection[str] | Callable[[dict[str, str]], bool]
                ) -> tuple[int, int, dict[str, str]]:
    """(offset, page size, filters) of a cursor. Cursors are client input: bounded and checked
    like any other (an offset past PostgreSQL's bigint, a NUL character or a filter the list
    does not know would fail in the database, not here). `keys`: the filters the list knows,
    or a check of them."""
    state = decode_token(cursor)
    offset, size, filters = state.get("offset"), state.get("pageSize"), state.get("filters", {})
    if not (isinstance(offset, int) and 0 <= offset <= MAX_OFFSET and isinstance(size, int)
            and 1 <= size <= MAX_PAGE_SIZE and isinstance(filters, dict)
            and all(isinstance(v, str) and "\x00" not in v for v in filters.values())
            and (keys(filters) if callable(keys) else set(filters) <= set(keys))):
        raise ValidationError("invalid cursor")
    return offset, size, filters


def cursor_page(page: Page[Any], render: Callable[[Any], Any] | None, offset: int, size: int,
                filters: dict[str, str] | None = None) -> dict[str, Any]:
    """The `cursor` envelope of one page, with the tokens of the next and previous ones."""
    def token(at: int) -> str:
        return encode_token({"offset": at, "pageSize": size, "filters": filters or {}})

    result = Page(data=page.data, page_size=size, has_more=page.has_more,
                  next=token(offset + size) if page.has_more else None,
                  previous=token(max(0, offset - size)) if offset > 0 else None)
    return {"cursor": result.envelope(render)}


async def json_body(request: Request, *, required: bool,
                    error: Callable[[str], DomainError] = ValidationError) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise error("a JSON body is required")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise error("the body is not valid JSON") from None
