"""The Ledger v2 query language and pagination, as pure values.

Everything a list endpoint receives (the JSON filter, `pageSize`, `sort`/`order`/`reverse`,
`pit`/`oot`, `expand`, `cursor`) is parsed and validated here into typed values; storage compiles
the filter AST into SQL (storage/ledger/filters.py). Every rejection is a `ValidationError` whose
message names the operator, the field and the value at fault, because the API returns it verbatim
as a 400 VALIDATION.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from domain.errors import ValidationError
from domain.ledger.hashing import format_time

# --- Resources, operators, fields ----------------------------------------------------------------


class Resource(StrEnum):
    TRANSACTIONS = "transactions"
    ACCOUNTS = "accounts"
    VOLUMES = "volumes"
    LOGS = "logs"
    LEDGERS = "ledgers"


class Operator(StrEnum):
    MATCH = "$match"
    LT = "$lt"
    LTE = "$lte"
    GT = "$gt"
    GTE = "$gte"
    LIKE = "$like"
    IN = "$in"
    EXISTS = "$exists"


_LOGICAL = ("$and", "$or", "$not")


class Kind(StrEnum):
    """What a field's values are; decides the accepted operators and the value type."""

    STRING = "string"
    INT = "int"
    DATE = "date"
    BOOL = "bool"
    ADDRESS = "address"
    KEYS = "keys"  # plain `metadata`: only `$exists`, whose value is the key name


_ORDERED = (Operator.MATCH, Operator.LT, Operator.LTE, Operator.GT, Operator.GTE)
_OPERATORS: dict[Kind, tuple[Operator, ...]] = {
    Kind.STRING: (Operator.MATCH, Operator.LIKE, Operator.IN),
    # `$in` on integers (ids) is a harmless extension of the reference table.
    Kind.INT: (*_ORDERED, Operator.IN),
    Kind.DATE: _ORDERED,
    Kind.BOOL: (Operator.MATCH,),
    Kind.ADDRESS: (Operator.MATCH, Operator.LIKE, Operator.IN),
    Kind.KEYS: (Operator.EXISTS,),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    keyed: bool = False  # `name[key]`: a map field (metadata[k], balance[ASSET], features[k])

    def operators(self) -> tuple[Operator, ...]:
        ops = _OPERATORS[self.kind]
        # Map fields also take `$exists` (is the key/asset present at all).
        return (*ops, Operator.EXISTS) if self.keyed else ops

    @property
    def label(self) -> str:
        return f"{self.name}[...]" if self.keyed else self.name


def _specs(*specs: FieldSpec) -> dict[tuple[str, bool], FieldSpec]:
    return {(s.name, s.keyed): s for s in specs}


_DATE = Kind.DATE
_FIELDS: dict[Resource, dict[tuple[str, bool], FieldSpec]] = {
    Resource.TRANSACTIONS: _specs(
        FieldSpec("id", Kind.INT),
        FieldSpec("reference", Kind.STRING),
        FieldSpec("timestamp", _DATE),
        FieldSpec("inserted_at", _DATE),
        FieldSpec("updated_at", _DATE),
        FieldSpec("reverted_at", _DATE),
        FieldSpec("reverted", Kind.BOOL),
        FieldSpec("account", Kind.ADDRESS),
        FieldSpec("source", Kind.ADDRESS),
        FieldSpec("destination", Kind.ADDRESS),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("metadata", Kind.KEYS),
    ),
    Resource.ACCOUNTS: _specs(
        FieldSpec("address", Kind.ADDRESS),
        FieldSpec("first_usage", _DATE),
        FieldSpec("insertion_date", _DATE),
        FieldSpec("updated_at", _DATE),
        FieldSpec("balance", Kind.INT),
        FieldSpec("balance", Kind.INT, keyed=True),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("metadata", Kind.KEYS),
    ),
    Resource.VOLUMES: _specs(
        FieldSpec("address", Kind.ADDRESS),
        FieldSpec("balance", Kind.INT),
        FieldSpec("balance", Kind.INT, keyed=True),
        FieldSpec("first_usage", _DATE),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("metadata", Kind.KEYS),
    ),
    Resource.LOGS: _specs(
        FieldSpec("date", _DATE),
        FieldSpec("id", Kind.INT),
        FieldSpec("type", Kind.STRING),
    ),
    Resource.LEDGERS: _specs(
        FieldSpec("name", Kind.STRING),
        FieldSpec("bucket", Kind.STRING),
        FieldSpec("metadata", Kind.STRING, keyed=True),
        FieldSpec("features", Kind.STRING, keyed=True),
    ),
}
# Alternative spellings accepted in filters, resolved to the canonical field name.
_ALIASES: dict[Resource, dict[str, str]] = {Resource.VOLUMES: {"account": "address"}}


def filter_fields(resource: Resource) -> list[str]:
    """The field names a filter on `resource` may use (map fields as `name[...]`)."""
    return sorted({s.label for s in _FIELDS[resource].values()} | set(_ALIASES.get(resource, {})))


# --- Values -------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_ASSET = re.compile(r"[A-Z][A-Z0-9]{0,16}(_[A-Z]{1,16})?(/\d{1,6})?")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True)
class AddressPattern:
    """An address or address pattern. `segments` holds "" for a one-segment wildcard; `subtree`
    is a trailing `...` (any number of further segments, including none)."""

    raw: str
    segments: tuple[str, ...]
    subtree: bool = False

    @property
    def is_exact(self) -> bool:
        return not self.subtree and all(self.segments)


def parse_address_pattern(value: str, *, context: str = "address") -> AddressPattern:
    """Parse an address pattern: `users:1` (exact), `users:` / `:main` / `a::c` (an empty segment
    matches exactly one segment, same length), `users:...` (the subtree, `users` included)."""
    if value == "":
        raise ValidationError(f"{context}: the address pattern is empty")
    parts = value.split(":")
    subtree = parts[-1] == "..."
    if subtree:
        parts = parts[:-1]
    for part in parts:
        if part and not _SEGMENT.fullmatch(part):
            raise ValidationError(
                f"{context}: invalid address pattern {value!r}: segment {part!r} must match "
                "[A-Za-z0-9_-]+ (an empty segment is a one-segment wildcard, and only a trailing "
                "'...' is allowed)"
            )
    return AddressPattern(raw=value, segments=tuple(parts), subtree=subtree)


def parse_address(value: str, *, context: str = "address") -> str:
    """An exact address: segments of [A-Za-z0-9_-]+ joined by ':'."""
    if not all(_SEGMENT.fullmatch(p) for p in value.split(":")):
        raise ValidationError(
            f"{context}: invalid address {value!r}; expected segments of [A-Za-z0-9_-]+ "
            "joined by ':' (patterns are not allowed here)"
        )
    return value


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)


def parse_datetime(value: object, *, context: str = "date") -> datetime:
    """An RFC3339 date-time to an aware UTC datetime, rounded to the microsecond (the precision
    the API stores and renders; Go's time.Round rounds half away from zero, as here)."""
    if not isinstance(value, str):
        raise ValidationError(
            f"{context}: expected an RFC3339 date string, got {_describe(value)}"
        )
    m = _RFC3339.fullmatch(value.strip())
    if m is None:
        raise ValidationError(
            f"{context}: invalid date {value!r}; expected RFC3339 such as 2024-05-01T10:00:00Z"
        )
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    nanos = int((m.group(7) or "").ljust(9, "0"))
    offset = m.group(8)
    try:
        if offset in ("Z", "z"):
            tz = UTC
        else:
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        base = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        return (base + timedelta(microseconds=(nanos + 500) // 1000)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValidationError(f"{context}: invalid date {value!r}: {exc}") from None


def format_datetime(value: datetime) -> str:
    """The API time format: UTC, microseconds with trailing zeros trimmed, `Z` suffix."""
    return format_time(value)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# --- The filter AST -----------------------------------------------------------------------------

ScalarValue: TypeAlias = str | int | bool | datetime | AddressPattern
ConditionValue: TypeAlias = ScalarValue | tuple[str, ...] | tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    """One leaf. `field` is canonical (aliases resolved); `key` is the map key for `metadata[k]`,
    `balance[ASSET]`, `features[k]`, else None. Value types by operator and field kind:
    - $match/$lt/$lte/$gt/$gte: int (INT), datetime (DATE), bool (BOOL), str (STRING),
      AddressPattern (ADDRESS, $match only)
    - $like: str (SQL LIKE pattern: `%` any run, `_` one character)
    - $in: tuple[str, ...] (STRING; exact addresses for ADDRESS) or tuple[int, ...] (INT)
    - $exists: str (the key, plain `metadata`) or bool (map fields: key present or absent)
    """

    op: Operator
    field: str
    key: str | None
    value: ConditionValue


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Filter, ...]  # empty: TRUE


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Filter, ...]  # empty: TRUE (as in Formance, not the logician's FALSE)


@dataclass(frozen=True, slots=True)
class Not:
    item: Filter


Filter: TypeAlias = And | Or | Not | Condition

_MAX_DEPTH = 32
_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(.+)\])?", re.DOTALL)
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValidationError(f"invalid query: duplicate key {key!r} in a JSON object")
        out[key] = value
    return out


def load_json(text: str | bytes, *, context: str = "query") -> Any:
    """Decode JSON with the stdlib (integers of any size stay exact, unlike orjson's 64 bits),
    refusing duplicate keys rather than silently keeping the last one."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"invalid {context}: malformed JSON ({exc})") from None


def parse_filter(resource: Resource | str, raw: object) -> Filter | None:
    """Parse a v2 filter. `raw` is the decoded JSON (a dict), its JSON text (body or `query`
    parameter), or None. No filter (None, empty text, `{}`) returns None, meaning TRUE."""
    res = Resource(resource)
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).decode("utf-8", errors="replace")
    if isinstance(raw, str):
        if not raw.strip():
            return None
        raw = load_json(raw)
    if raw is None or (isinstance(raw, Mapping) and not raw):
        return None
    return _Parser(res).node(raw, "query", 0)


class _Parser:
    def __init__(self, resource: Resource) -> None:
        self.resource = resource

    def node(self, raw: object, where: str, depth: int) -> Filter:
        if depth > _MAX_DEPTH:
            raise ValidationError(f"invalid query: nested deeper than {_MAX_DEPTH} levels")
        if not isinstance(raw, Mapping) or len(raw) != 1:
            raise ValidationError(
                f"invalid query at {where}: expected an object with exactly one operator "
                f"(such as {{\"$match\": {{...}}}}), got {_describe_node(raw)}"
            )
        ((op, body),) = raw.items()
        if op in ("$and", "$or"):
            if not isinstance(body, list):
                raise ValidationError(
                    f"invalid query: {op} expects an array of filters, got {_describe(body)}"
                )
            items = tuple(
                self.node(item, f"{where}.{op}[{i}]", depth + 1) for i, item in enumerate(body)
            )
            return And(items) if op == "$and" else Or(items)
        if op == "$not":
            return Not(self.node(body, f"{where}.$not", depth + 1))
        try:
            operator = Operator(op)
        except ValueError:
            allowed = ", ".join([*_LOGICAL, *Operator])
            raise ValidationError(
                f"invalid query: unknown operator {op!r}; expected one of {allowed}"
            ) from None
        if not isinstance(body, Mapping) or not body:
            raise ValidationError(
                f"invalid query: {op} expects an object of field: value, got {_describe(body)}"
            )
        leaves = tuple(self.leaf(operator, str(k), v) for k, v in body.items())
        # Several fields in one operator object mean all of them, like a Mongo-style filter.
        return leaves[0] if len(leaves) == 1 else And(leaves)

    def spec(self, operator: Operator, raw_field: str) -> tuple[FieldSpec, str | None]:
        m = _FIELD.fullmatch(raw_field)
        if m is None:
            raise self.unknown_field(raw_field)
        name, key = _snake(m.group(1)), m.group(2)
        name = _ALIASES.get(self.resource, {}).get(name, name)
        spec = _FIELDS[self.resource].get((name, key is not None))
        if spec is None:
            other = _FIELDS[self.resource].get((name, key is None))
            if other is not None and other.keyed:
                raise ValidationError(
                    f"invalid query: field {raw_field!r} needs a key, as in {name}[key]"
                )
            if other is not None and not other.keyed:
                raise ValidationError(
                    f"invalid query: field {name!r} takes no key (got {raw_field!r})"
                )
            raise self.unknown_field(raw_field)
        if operator not in spec.operators():
            allowed = ", ".join(spec.operators())
            hint = f"; to compare a value use {name}[key]" if spec.kind is Kind.KEYS else ""
            raise ValidationError(
                f"invalid query: operator {operator} is not allowed on field {raw_field!r} "
                f"({spec.kind}); allowed: {allowed}{hint}"
            )
        if key is not None and name == "balance" and not _ASSET.fullmatch(key):
            raise ValidationError(
                f"invalid query: {raw_field!r}: invalid asset {key!r} "
                "(expected e.g. USD, USD/2, EUR_CENT/2)"
            )
        return spec, key

    def unknown_field(self, raw_field: str) -> ValidationError:
        fields = ", ".join(filter_fields(self.resource))
        return ValidationError(
            f"invalid query: unknown field {raw_field!r} for {self.resource}; "
            f"expected one of {fields}"
        )

    def leaf(self, operator: Operator, raw_field: str, value: object) -> Condition:
        spec, key = self.spec(operator, raw_field)
        where = f"{operator} on {raw_field!r}"
        if operator is Operator.EXISTS:
            if spec.kind is Kind.KEYS:
                if not isinstance(value, str) or not value:
                    raise ValidationError(
                        f"invalid query: {where} expects the key name as a non-empty string, "
                        f"got {_describe(value)}"
                    )
                return Condition(operator, spec.name, None, value)
            if not isinstance(value, bool):
                raise ValidationError(
                    f"invalid query: {where} expects true or false, got {_describe(value)}"
                )
            return Condition(operator, spec.name, key, value)
        if operator is Operator.LIKE:
            return Condition(operator, spec.name, key, _string(value, where))
        if operator is Operator.IN:
            if not isinstance(value, list):
                raise ValidationError(
                    f"invalid query: {where} expects an array, got {_describe(value)}"
                )
            if spec.kind is Kind.INT:
                ints = tuple(
                    _integer(v, f"{where}[{i}]", unbounded=spec.name == "balance")
                    for i, v in enumerate(value)
                )
                return Condition(operator, spec.name, key, ints)
            strings = tuple(_string(v, f"{where}[{i}]") for i, v in enumerate(value))
            if spec.kind is Kind.ADDRESS:
                for s in strings:
                    parse_address(s, context=f"invalid query: {where} takes exact addresses")
            return Condition(operator, spec.name, key, strings)
        # $match and the comparisons.
        scalar: ScalarValue
        if spec.kind is Kind.INT:
            scalar = _integer(value, where, unbounded=spec.name == "balance")
        elif spec.kind is Kind.DATE:
            scalar = parse_datetime(value, context=f"invalid query: {where}")
        elif spec.kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise ValidationError(
                    f"invalid query: {where} expects true or false, got {_describe(value)}"
                )
            scalar = value
        elif spec.kind is Kind.ADDRESS:
            scalar = parse_address_pattern(
                _string(value, where), context=f"invalid query: {where}"
            )
        else:
            scalar = _string(value, where)
        return Condition(operator, spec.name, key, scalar)


def _describe_node(raw: object) -> str:
    if isinstance(raw, Mapping):
        return f"an object with {len(raw)} keys" if raw else "an empty object"
    return _describe(raw)


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"invalid query: {where} expects a string, got {_describe(value)}")
    return value


def _integer(value: object, where: str, *, unbounded: bool) -> int:
    # bool is an int subclass in Python; JSON true is not an integer.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"invalid query: {where} expects an integer, got {_describe(value)}"
        )
    # Balances are unbounded numerics; ids are bigint columns.
    if not unbounded and not _INT64_MIN <= value <= _INT64_MAX:
        raise ValidationError(f"invalid query: {where}: {value} is out of the 64-bit range")
    return value


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
    """base64url (no padding) of the JSON query state."""
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
    # Plain stdlib json: integers of any size round-trip exactly.
    text = json.dumps(state.model_dump(exclude_defaults=True), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _key_json(value: KeyValue) -> int | str:
    return format_datetime(value) if isinstance(value, datetime) else value


def decode_cursor(resource: Resource | str, cursor: str) -> ListQuery:
    """The ListQuery a cursor carries. Anything that is not a cursor we issued for this resource
    (garbage, truncated, edited into an invalid state) is ValidationError("invalid cursor")."""
    res = Resource(resource)
    try:
        text = cursor.strip()
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        state = _CursorState.model_validate_json(raw)
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


# --- Pages --------------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: the Formance cursor envelope `{pageSize, hasMore, previous?, next?, data}`."""

    data: list[T]
    page_size: int
    has_more: bool
    next: str | None = None
    previous: str | None = None

    def envelope(self, render: Callable[[T], Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pageSize": self.page_size,
            "hasMore": self.has_more,
            "data": [render(x) for x in self.data] if render else list(self.data),
        }
        if self.previous is not None:
            body["previous"] = self.previous
        if self.next is not None:
            body["next"] = self.next
        return body


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
