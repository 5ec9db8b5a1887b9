"""The filter AST and its parser: the JSON `query` of a list request, validated into typed
conditions (storage/ledger/filters.py compiles them to SQL)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from domain.errors import ValidationError
from domain.ledger.query.fields import (
    _ALIASES,
    _FIELDS,
    _LOGICAL,
    FieldSpec,
    Kind,
    Operator,
    Resource,
    filter_fields,
)
from domain.ledger.query.values import (
    _ASSET,
    _INT64_MAX,
    _INT64_MIN,
    AddressPattern,
    _describe,
    parse_address,
    parse_address_pattern,
    parse_datetime,
)

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


