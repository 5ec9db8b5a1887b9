"""The Ledger v2 query language and pagination, as pure values.

Everything a list endpoint receives (the JSON filter, `pageSize`, `sort`/`order`/`reverse`,
`pit`/`oot`, `expand`, `cursor`) is parsed and validated here into typed values; storage compiles
the filter AST into SQL (storage/ledger/filters.py). Every rejection is a `ValidationError` whose
message names the operator, the field and the value at fault, because the API returns it verbatim
as a 400 VALIDATION.

One file per seam: fields.py (resources, operators, fields), values.py (addresses, dates),
filters.py (the filter AST and parser), params.py (page size, booleans, sort, expand),
cursors.py (the list query and its cursor), pages.py (pages of a keyset query). The envelope
and the cursor token are the ones every module shares (domain/pagination.py)."""

from domain.ledger.query.cursors import (
    KeyValue,
    ListQuery,
    OptionValue,
    decode_cursor,
    encode_cursor,
    parse_list_query,
)
from domain.ledger.query.fields import FieldSpec, Kind, Operator, Resource, filter_fields
from domain.ledger.query.filters import And, Condition, Filter, Not, Or, load_json, parse_filter
from domain.ledger.query.pages import make_page
from domain.ledger.query.params import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Sort,
    key_columns,
    parse_bool,
    parse_expand,
    parse_int_param,
    parse_page_size,
    parse_sort,
    sortable_fields,
    tiebreak_column,
)
from domain.ledger.query.values import (
    AddressPattern,
    format_datetime,
    parse_address,
    parse_address_pattern,
    parse_datetime,
)
from domain.pagination import Page

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "AddressPattern",
    "And",
    "Condition",
    "FieldSpec",
    "Filter",
    "KeyValue",
    "Kind",
    "ListQuery",
    "Not",
    "Operator",
    "OptionValue",
    "Or",
    "Page",
    "Resource",
    "Sort",
    "decode_cursor",
    "encode_cursor",
    "filter_fields",
    "format_datetime",
    "key_columns",
    "load_json",
    "make_page",
    "parse_address",
    "parse_address_pattern",
    "parse_bool",
    "parse_datetime",
    "parse_expand",
    "parse_filter",
    "parse_int_param",
    "parse_list_query",
    "parse_page_size",
    "parse_sort",
    "sortable_fields",
    "tiebreak_column",
]
