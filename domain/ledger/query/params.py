"""The other list parameters: page size, booleans, sort and expand."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from domain.errors import ValidationError
from domain.ledger.query.fields import _DATE, Kind, Resource
from domain.ledger.query.filters import _snake
from domain.ledger.query.values import _describe

# --- Page size, booleans, sort ------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 100


def parse_page_size(value: str | int | None) -> int:
    """`pageSize`: default 15, clamped to 100 (not rejected), 0 or empty means the default."""
    if value is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(value, bool):
        raise ValidationError(f"invalid pageSize: expected an integer, got {_describe(value)}")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return DEFAULT_PAGE_SIZE
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValidationError(f"invalid pageSize {value!r}: expected an integer")
        value = int(text)
    if value < 0:
        raise ValidationError(f"invalid pageSize {value}: must not be negative")
    if value == 0:
        return DEFAULT_PAGE_SIZE
    return min(value, MAX_PAGE_SIZE)


def parse_int_param(value: str | int | None, *, name: str, minimum: int = 0) -> int | None:
    """An integer query parameter such as `groupBy`; None or empty means absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError(f"invalid {name}: expected an integer, got {_describe(value)}")
    if isinstance(value, str):
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise ValidationError(f"invalid {name} {value!r}: expected an integer")
        value = int(value)
    if value < minimum:
        raise ValidationError(f"invalid {name} {value}: must be at least {minimum}")
    return value


_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off", ""}


def parse_bool(value: str | bool | None, *, name: str) -> bool:
    """A boolean query parameter (`reverse`, `includeDeleted`, `insertionDate`, ...)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValidationError(f"invalid {name} {value!r}: expected true or false")


@dataclass(frozen=True, slots=True)
class Sort:
    column: str  # snake_case, one of sortable_fields(resource)
    descending: bool

    @property
    def order(self) -> Literal["asc", "desc"]:
        return "desc" if self.descending else "asc"


# Sortable ("paginated") columns per resource, with their kind (to rebuild cursor keys), the
# tie-breaker that makes the order total, and the default sort.
_SORTABLE: dict[Resource, dict[str, Kind]] = {
    Resource.TRANSACTIONS: {
        "id": Kind.INT, "timestamp": _DATE, "inserted_at": _DATE, "updated_at": _DATE,
    },
    Resource.ACCOUNTS: {
        "address": Kind.STRING, "first_usage": _DATE, "insertion_date": _DATE,
        "updated_at": _DATE,
    },
    Resource.VOLUMES: {"address": Kind.STRING},
    Resource.LOGS: {"id": Kind.INT, "date": _DATE},
    Resource.LEDGERS: {"id": Kind.INT, "name": Kind.STRING, "bucket": Kind.STRING,
                       "added_at": _DATE},
}
_TIEBREAK: dict[Resource, tuple[str, Kind]] = {
    Resource.TRANSACTIONS: ("id", Kind.INT),
    Resource.ACCOUNTS: ("address", Kind.STRING),
    # A volumes row is (address, asset): with the address as sort column, asset breaks ties.
    Resource.VOLUMES: ("asset", Kind.STRING),
    Resource.LOGS: ("id", Kind.INT),
    Resource.LEDGERS: ("id", Kind.INT),
}
_DEFAULT_SORT: dict[Resource, Sort] = {
    Resource.TRANSACTIONS: Sort("id", True),
    Resource.ACCOUNTS: Sort("address", False),
    Resource.VOLUMES: Sort("address", False),
    Resource.LOGS: Sort("id", True),
    Resource.LEDGERS: Sort("id", False),
}
_SORT_ALIASES: dict[Resource, dict[str, str]] = {
    Resource.TRANSACTIONS: {"effective": "timestamp"},
    Resource.VOLUMES: {"account": "address"},
}


def sortable_fields(resource: Resource | str) -> list[str]:
    return list(_SORTABLE[Resource(resource)])


def tiebreak_column(resource: Resource | str) -> str:
    """The unique column appended to the sort so that keyset pagination is total."""
    return _TIEBREAK[Resource(resource)][0]


def key_columns(resource: Resource | str, sort: Sort) -> tuple[str, ...]:
    """The columns of a row's pagination key under `sort`: the sort column, then the tie-breaker
    unless the sort column is already unique (it is the tie-breaker itself)."""
    tb = tiebreak_column(resource)
    if Resource(resource) is Resource.VOLUMES:
        return (sort.column, tb)
    return (sort.column,) if sort.column == tb else (sort.column, tb)


def parse_sort(
    resource: Resource | str,
    sort: str | None = None,
    *,
    order: str | None = None,
    reverse: str | bool | None = None,
) -> Sort:
    """`sort=<field>[:asc|desc]` (camelCase accepted, converted to snake_case). For transactions
    the deprecated `order=effective` paginates on timestamp and `reverse=true` flips the default
    descending order to ascending; an explicit `sort` wins over both."""
    res = Resource(resource)
    default = _DEFAULT_SORT[res]
    if res is Resource.TRANSACTIONS:
        if order not in (None, "", "effective"):
            raise ValidationError(f"invalid order {order!r}: the only accepted value is effective")
        column = "timestamp" if order == "effective" else default.column
        default = Sort(column, not parse_bool(reverse, name="reverse"))
    if sort is None or not sort.strip():
        return default
    name, _, direction = sort.strip().partition(":")
    column = _snake(name.strip())
    column = _SORT_ALIASES.get(res, {}).get(column, column)
    if column not in _SORTABLE[res]:
        raise ValidationError(
            f"invalid sort {sort!r}: {name!r} is not sortable for {res}; "
            f"expected one of {', '.join(_SORTABLE[res])}"
        )
    direction = direction.strip().lower()
    if direction not in ("", "asc", "desc"):
        raise ValidationError(f"invalid sort {sort!r}: the order must be asc or desc")
    return Sort(column, direction == "desc")


# --- Expand -------------------------------------------------------------------------------------

_EXPANDS: dict[Resource, tuple[str, ...]] = {
    Resource.TRANSACTIONS: ("volumes", "effectiveVolumes"),
    Resource.ACCOUNTS: ("volumes", "effectiveVolumes"),
}


def parse_expand(resource: Resource | str, value: str | Sequence[str] | None) -> tuple[str, ...]:
    """`expand`, comma-separated and/or repeated; order kept, duplicates dropped."""
    res = Resource(resource)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        for part in item.split(","):
            name = part.strip()
            if not name:
                continue
            allowed = _EXPANDS.get(res, ())
            if name not in allowed:
                raise ValidationError(
                    f"invalid expand {name!r} for {res}; expected one of "
                    f"{', '.join(allowed) if allowed else '(nothing)'}"
                )
            if name not in out:
                out.append(name)
    return tuple(out)


