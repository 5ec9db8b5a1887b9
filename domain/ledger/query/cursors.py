"""The whole list query, and its cursor: the keyset state of a page, carried in the
shared cursor token of domain/pagination.py."""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from domain.errors import ValidationError
from domain.ledger.query.fields import Kind, Resource
from domain.ledger.query.filters import Filter, load_json, parse_filter
from domain.ledger.query.params import (
    _SORTABLE,
    _TIEBREAK,
    MAX_PAGE_SIZE,
    Sort,
    key_columns,
    parse_expand,
    parse_page_size,
    parse_sort,
)
from domain.ledger.query.values import _describe, format_datetime, parse_datetime
from domain.pagination import encode_token, token_bytes

# --- The whole list query, and its cursor -------------------------------------------------------

KeyValue: TypeAlias = int | str | datetime
OptionValue: TypeAlias = str | int | bool | None


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Everything that defines one page of a list. `bound` is the pagination key (see
    `key_columns`) of the row the page starts after (or, with `reverse`, ends before); None on the
    first page. `options` carries endpoint extras (includeDeleted, groupBy, insertionDate,
    useInsertionDate, ...) so that cursors keep them too."""

    resource: Resource
    page_size: int
    sort: Sort
    filter: Filter | None = None
    raw_filter: dict[str, Any] | None = None
    pit: datetime | None = None
    oot: datetime | None = None
    expand: tuple[str, ...] = ()
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    bound: tuple[KeyValue, ...] | None = None
    reverse: bool = False


def parse_list_query(
    resource: Resource | str,
    *,
    cursor: str | None = None,
    page_size: str | int | None = None,
    sort: str | None = None,
    order: str | None = None,
    reverse: str | bool | None = None,
    pit: str | None = None,
    oot: str | None = None,
    query: object = None,
    expand: str | Sequence[str] | None = None,
    options: Mapping[str, OptionValue] | None = None,
) -> ListQuery:
    """The list query of a request. With a `cursor`, every other parameter is ignored except
    `pageSize`, because the cursor carries the whole query (Formance semantics)."""
    res = Resource(resource)
    if cursor:
        q = decode_cursor(res, cursor)
        if page_size is not None and str(page_size).strip():
            q = replace(q, page_size=parse_page_size(page_size))
        return q
    raw_filter = _raw_filter(query)
    return ListQuery(
        resource=res,
        page_size=parse_page_size(page_size),
        sort=parse_sort(res, sort, order=order, reverse=reverse),
        filter=parse_filter(res, raw_filter),
        raw_filter=raw_filter,
        pit=parse_datetime(pit, context="invalid pit") if pit else None,
        oot=parse_datetime(oot, context="invalid oot") if oot else None,
        expand=parse_expand(res, expand),
        options=dict(options or {}),
    )


def _raw_filter(query: object) -> dict[str, Any] | None:
    if isinstance(query, bytes | bytearray):
        query = bytes(query).decode("utf-8", errors="replace")
    if isinstance(query, str):
        query = load_json(query) if query.strip() else None
    if query is None:
        return None
    if not isinstance(query, Mapping):
        raise ValidationError(f"invalid query: expected a JSON object, got {_describe(query)}")
    return dict(query) if query else None


class _CursorFilters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pit: StrictStr | None = None
    oot: StrictStr | None = None
    query: dict[str, Any] | None = None
    expand: list[StrictStr] = []
    options: dict[str, StrictStr | StrictBool | StrictInt | None] = {}


class _CursorState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    resource: Resource
    pageSize: StrictInt
    column: StrictStr
    order: Literal["asc", "desc"]
    paginationID: list[StrictInt | StrictStr] | None = None
    reverse: StrictBool = False
    filters: _CursorFilters = _CursorFilters()


def encode_cursor(q: ListQuery) -> str:
    """The shared cursor token (domain/pagination.py) of the query state."""
    state = _CursorState(
        resource=q.resource,
        pageSize=q.page_size,
        column=q.sort.column,
        order=q.sort.order,
        paginationID=None if q.bound is None else [_key_json(v) for v in q.bound],
        reverse=q.reverse,
        filters=_CursorFilters(
            pit=format_datetime(q.pit) if q.pit else None,
            oot=format_datetime(q.oot) if q.oot else None,
            query=q.raw_filter,
            expand=list(q.expand),
            options=dict(q.options),
        ),
    )
    return encode_token(state.model_dump(exclude_defaults=True))


def _key_json(value: KeyValue) -> int | str:
    return format_datetime(value) if isinstance(value, datetime) else value


def decode_cursor(resource: Resource | str, cursor: str) -> ListQuery:
    """The ListQuery a cursor carries. Anything that is not a cursor we issued for this resource
    (garbage, truncated, edited into an invalid state) is ValidationError("invalid cursor")."""
    res = Resource(resource)
    try:
        state = _CursorState.model_validate_json(token_bytes(cursor))
        if state.resource is not res:
            raise ValueError("cursor of another resource")
        if not 1 <= state.pageSize <= MAX_PAGE_SIZE:
            raise ValueError("page size out of range")
        sort = parse_sort(res, f"{state.column}:{state.order}")
        kinds = [
            _SORTABLE[res].get(c) or _TIEBREAK[res][1] for c in key_columns(res, sort)
        ]
        bound: tuple[KeyValue, ...] | None = None
        if state.paginationID is not None:
            if len(state.paginationID) != len(kinds):
                raise ValueError("pagination key of the wrong length")
            bound = tuple(_key_value(v, k) for v, k in zip(state.paginationID, kinds, strict=True))
        f = state.filters
        return ListQuery(
            resource=res,
            page_size=state.pageSize,
            sort=sort,
            filter=parse_filter(res, f.query),
            raw_filter=f.query or None,
            pit=parse_datetime(f.pit) if f.pit else None,
            oot=parse_datetime(f.oot) if f.oot else None,
            expand=parse_expand(res, f.expand),
            options=dict(f.options),
            bound=bound,
            reverse=state.reverse,
        )
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, PydanticValidationError,
            ValidationError):
        raise ValidationError("invalid cursor") from None


def _key_value(value: int | str, kind: Kind) -> KeyValue:
    if kind is Kind.INT:
        if not isinstance(value, int):
            raise ValueError("integer key expected")
        return value
    if not isinstance(value, str):
        raise ValueError("string key expected")
    return parse_datetime(value) if kind is Kind.DATE else value


