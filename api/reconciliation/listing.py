"""Pages of the reconciliation lists, on the shared offset pages (api/offset_pages.py)."""

from __future__ import annotations

from collections.abc import Collection

from fastapi import Request

from api.offset_pages import DEFAULT_PAGE_SIZE, json_body, read_cursor
from api.offset_pages import cursor_page as cursor
from domain.payments.query import parse_filters

__all__ = ["cursor", "json_body", "listing"]


async def listing(request: Request, page_size: int | None, cursor: str | None,
                  keys: Collection[str] = ()) -> tuple[int, int, dict[str, str]]:
    """(offset, page size, filters) from the cursor, or else from the parameters and the
    query-builder body (`$match` on `keys`, `$and` of matches)."""
    if cursor:
        return read_cursor(cursor, keys)
    query = await json_body(request, required=False) if keys else None
    return 0, page_size or DEFAULT_PAGE_SIZE, parse_filters(query, keys)
