"""Listing helpers of the payments API (v3 and the legacy v1), on the shared offset pages
(api/offset_pages.py): a bad body is MISSING_OR_INVALID_BODY here."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api import offset_pages
from api.offset_pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, cursor_page, read_cursor
from domain.payments.errors import InvalidBodyError
from domain.payments.query import parse_filters

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "cursor_page", "json_body", "listing"]


async def json_body(request: Request, *, required: bool) -> Any:
    return await offset_pages.json_body(request, required=required, error=InvalidBodyError)


async def listing(request: Request, page_size: int | None, cursor: str | None,
                  keys: dict[str, Any], *, body: bool = True
                  ) -> tuple[int, int, dict[str, str]]:
    """(offset, page size, filters) from the cursor, or else from the parameters and body."""
    if cursor:
        return read_cursor(cursor, set(keys) | {"asset"})
    query = await json_body(request, required=False) if body else None
    return 0, page_size or DEFAULT_PAGE_SIZE, parse_filters(query, keys)
