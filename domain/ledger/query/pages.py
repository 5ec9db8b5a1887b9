"""Pages of a keyset query: the shared Formance envelope (domain/pagination.py) with the
`next`/`previous` cursors of the rows around it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from domain.ledger.query.cursors import KeyValue, ListQuery, encode_cursor
from domain.pagination import Page

# --- Pages --------------------------------------------------------------------------------------

T = TypeVar("T")


def make_page(
    q: ListQuery, fetched: Sequence[T], key: Callable[[T], tuple[KeyValue, ...]]
) -> Page[T]:
    """Build the page from the rows fetched by the keyset query (up to page_size + 1 of them, in
    fetch order, which for a `reverse` query is backwards). `key(row)` returns the row's
    pagination key, the values of `key_columns(q.resource, q.sort)`."""
    n = q.page_size
    extra = len(fetched) > n
    rows = list(fetched[:n])
    if q.reverse:
        rows.reverse()
    first_key = key(rows[0]) if rows else None
    last_key = key(rows[-1]) if rows else None
    next_cursor = previous_cursor = None
    if q.reverse:
        # A backward page: the extra row says whether anything lies before; something lies after
        # (we came from there) as long as this page has a last row to continue from.
        if extra and first_key is not None:
            previous_cursor = encode_cursor(replace(q, bound=first_key, reverse=True))
        if last_key is not None:
            next_cursor = encode_cursor(replace(q, bound=last_key, reverse=False))
    else:
        if extra and last_key is not None:
            next_cursor = encode_cursor(replace(q, bound=last_key, reverse=False))
        # The first page has no `previous`; a page reached through `next` has one.
        if q.bound is not None and first_key is not None:
            previous_cursor = encode_cursor(replace(q, bound=first_key, reverse=True))
    return Page(
        data=rows,
        page_size=n,
        has_more=next_cursor is not None,
        next=next_cursor,
        previous=previous_cursor,
    )
