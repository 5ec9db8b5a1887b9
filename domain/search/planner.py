"""A search request, checked and turned into a plan any sink can run (pure code).

The plan is what the request asks, in the sink's terms: the kinds searched, the ledgers, the
parsed terms and how they combine, the order, the page size, and where the page starts. The
cursor token carries the whole query (Formance: a cursor replaces every other parameter but
`pageSize`) with a checksum, so a token that was edited is refused (400) rather than read."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.errors import ValidationError
from domain.pagination import decode_token, encode_token
from domain.search.documents import DEFAULT_SORT
from domain.search.errors import InvalidCursorError, InvalidQueryError, RawQueryNotSupportedError
from domain.search.models import Kind, Order, Policy
from domain.search.terms import Term, parse_term
from domain.search.times import normalise_time

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 1000
MAX_TERMS = 64
MAX_LEDGERS = 256
_SORT = re.compile(r"(?P<field>[A-Za-z_][A-Za-z0-9_]*(\.[^:]+)?)(:(?P<order>asc|desc|ASC|DESC))?")
# Not a secret: it only makes an edited token fail its checksum. A token forged with it could
# only ask what the client may ask in a request anyway.
_CHECKSUM_SALT = b"ledgerflow-search-cursor-v1"


@dataclass(frozen=True, slots=True)
class Sort:
    path: tuple[str, ...] | None  # None: each kind's default field (documents.DEFAULT_SORT)
    order: Order


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page starts: strictly after `key` in the plan's order (`backward`: before it,
    read in reverse, for a `previous` page)."""

    key: tuple[Any, str, str]  # (sort value, ledger, document id)
    backward: bool = False


@dataclass(frozen=True, slots=True)
class SearchPlan:
    kinds: tuple[Kind, ...]
    single_kind: bool  # a target was given: one cursor page; else the multi-kind answer
    ledgers: tuple[str, ...]
    terms: tuple[Term, ...]
    policy: Policy
    sort: Sort
    page_size: int
    position: Position | None
    after: Any = None  # the request's `after`: the sort value the first page starts after
    query: dict[str, Any] | None = None  # the request as the cursor replays it

    def sort_field(self, kind: Kind) -> tuple[str, ...]:
        return self.sort.path if self.sort.path is not None else (DEFAULT_SORT[kind],)


def _list_of_strings(body: dict[str, Any], name: str, limit: int) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidQueryError(f"{name} must be a list of strings")
    if len(value) > limit:
        raise InvalidQueryError(f"{name} has more than {limit} items")
    return value


def _page_size(value: Any) -> int:
    if value is None or value == 0:
        return DEFAULT_PAGE_SIZE
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQueryError("pageSize must be an integer")
    if not 0 < value <= MAX_PAGE_SIZE:
        raise InvalidQueryError(f"pageSize must be between 0 and {MAX_PAGE_SIZE}, not {value}")
    return value


def _kinds(target: Any) -> tuple[tuple[Kind, ...], bool]:
    if target is None or target == "":
        return tuple(Kind), False
    if not isinstance(target, str) or target.upper() not in Kind.__members__:
        raise InvalidQueryError(
            f"unknown target {target!r}: one of {', '.join(k.value for k in Kind)}")
    return (Kind(target.upper()),), True


def _policy(value: Any) -> Policy:
    if value is None or value == "":
        return Policy.AND
    if not isinstance(value, str) or value.upper() not in Policy.__members__:
        raise InvalidQueryError(f"policy must be AND or OR, not {value!r}")
    return Policy(value.upper())


def _sort(value: Any) -> Sort:
    if value is None or value == "":
        return Sort(None, Order.DESC)
    found = _SORT.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise InvalidQueryError(f"sort must be <field>[:asc|desc], not {value!r}")
    head, _, rest = found.group("field").partition(".")
    if rest and head != "metadata":
        raise InvalidQueryError(f"sort field {found.group('field')!r}: only metadata nests")
    order = Order((found.group("order") or "desc").lower())
    return Sort(("metadata", rest) if rest else (head,), order)


def _after(value: Any) -> Any:
    items = _list_of_strings({"after": value}, "after", 1)
    if not items:
        return None
    text = items[0]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    # Instants are indexed (and sorted) in the fixed-width form of times.py.
    return normalise_time(text) or text


def plan_search(body: dict[str, Any]) -> SearchPlan:
    """The plan of a request body (the Formance `Query`); InvalidQueryError names what is
    wrong."""
    if body.get("raw") is not None:
        raise RawQueryNotSupportedError()
    cursor = body.get("cursor")
    if cursor not in (None, ""):
        if not isinstance(cursor, str):
            raise InvalidCursorError()
        return _from_cursor(cursor, body.get("pageSize"))
    query = {k: body.get(k) for k in ("target", "terms", "ledgers", "policy", "sort", "after")
             if body.get(k) is not None}
    return _plan(query, _page_size(body.get("pageSize")), None)


def _plan(query: dict[str, Any], page_size: int, position: Position | None) -> SearchPlan:
    kinds, single = _kinds(query.get("target"))
    terms = tuple(parse_term(t) for t in _list_of_strings(query, "terms", MAX_TERMS))
    ledgers = tuple(_list_of_strings(query, "ledgers", MAX_LEDGERS))
    return SearchPlan(kinds=kinds, single_kind=single, ledgers=ledgers, terms=terms,
                      policy=_policy(query.get("policy")), sort=_sort(query.get("sort")),
                      page_size=page_size, position=position, after=_after(query.get("after")),
                      query=query)


def _checksum(state: dict[str, Any]) -> str:
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(_CHECKSUM_SALT + canonical.encode()).hexdigest()[:24]


def cursor_token(plan: SearchPlan, key: tuple[Any, str, str], *, backward: bool) -> str:
    state: dict[str, Any] = {"q": plan.query or {}, "n": plan.page_size,
                             "k": [_json_value(key[0]), key[1], key[2]], "b": backward}
    return encode_token({**state, "c": _checksum(state)})


def _json_value(value: Any) -> Any:
    # Decimal sort values (amounts with a fraction) travel as their exact text.
    if isinstance(value, (str, int, bool, list, dict)) or value is None:
        return value
    return {"decimal": str(value)}


def _from_cursor(token: str, page_size: Any) -> SearchPlan:
    try:
        state = decode_token(token)
    except ValidationError:
        raise InvalidCursorError() from None
    checksum = state.pop("c", None)
    if checksum != _checksum(state) or not isinstance(state.get("q"), dict):
        raise InvalidCursorError()
    key = state.get("k")
    if not (isinstance(key, list) and len(key) == 3 and isinstance(key[1], str)
            and isinstance(key[2], str)):
        raise InvalidCursorError()
    size = _page_size(page_size) if page_size not in (None, 0) else state.get("n")
    if not isinstance(size, int):
        raise InvalidCursorError()
    value = key[0]
    if isinstance(value, dict) and "decimal" in value:
        value = Decimal(value["decimal"])
    return _plan(state["q"], _page_size(size),
                 Position((value, key[1], key[2]), backward=bool(state.get("b"))))
