"""The Formance search term language: `key=value` (a match), `key>v`, `key<v`, `key>=v`,
`key<=v` (a range), anything else free text.

A key is a field name (`address`, `txid`, `createdAt`, ...) or `metadata.<key>`, whose metadata
key runs to the operator and may hold dots. A term whose text before its first operator is not
a key (`two words=x`) is free text, as Formance reads it. Refused (400): a term with an operator
and no key (`=x`) or no value (`key=`), a bare `metadata` key, a range whose bound is neither a
number nor an ISO 8601 instant, an empty term."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.search.errors import InvalidQueryError
from domain.search.times import normalise_time

JsonScalar = str | int | Decimal | bool
RANGE_OPERATORS = (">=", "<=", ">", "<")
_OPERATOR = re.compile(r"(>=|<=|=|>|<)")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
MAX_TERM_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Match:
    """`path` equals one of `values` (the text, and its number, instant or boolean reading)."""

    path: tuple[str, ...]
    values: tuple[JsonScalar, ...]


@dataclass(frozen=True, slots=True)
class Range:
    path: tuple[str, ...]
    operator: str
    bound: int | Decimal | str  # a number, or an instant in the fixed-width form of times.py


@dataclass(frozen=True, slots=True)
class FreeText:
    text: str


Term = Match | Range | FreeText


def parse_term(raw: str) -> Term:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidQueryError("a term is empty")
    if len(raw) > MAX_TERM_CHARS:
        raise InvalidQueryError(f"a term is longer than {MAX_TERM_CHARS} characters")
    found = _OPERATOR.search(raw)
    if found is None:
        return FreeText(raw.strip())
    key, operator, value = raw[:found.start()], found.group(1), raw[found.end():]
    if not key.strip():
        raise InvalidQueryError(f"term {raw!r} has no key before {operator!r}")
    path = _path(key.strip())
    if path is None:
        return FreeText(raw.strip())
    if value == "":
        raise InvalidQueryError(f"term {raw!r} has no value after {operator!r}")
    if operator == "=":
        return Match(path, match_values(value))
    return Range(path, operator, _bound(raw, value.strip()))


def _path(key: str) -> tuple[str, ...] | None:
    head, dot, rest = key.partition(".")
    if not _FIELD.fullmatch(head):
        return None
    if head == "metadata":
        if not dot or not rest:
            raise InvalidQueryError(
                f"term key {key!r}: name a metadata key, as in metadata.<key>=value")
        return ("metadata", rest)
    if dot:
        return None  # only metadata nests: `a.b=c` is free text, as any other non-key
    return (head,)


def _number(text: str) -> int | Decimal | None:
    if not _NUMBER.fullmatch(text):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def match_values(value: str) -> tuple[JsonScalar, ...]:
    """Every JSON value the text may stand for: `42` matches the string and the number,
    `2024-05-01T10:00:00Z` the indexed instant, `true` the boolean."""
    values: list[JsonScalar] = [value]
    number = _number(value)
    if number is not None:
        values.append(number)
    instant = normalise_time(value)
    if instant is not None and instant != value:
        values.append(instant)
    if value in ("true", "false"):
        values.append(value == "true")
    return tuple(values)


def _bound(raw: str, value: str) -> int | Decimal | str:
    number = _number(value)
    if number is not None:
        return number
    instant = normalise_time(value)
    if instant is not None:
        return instant
    raise InvalidQueryError(
        f"term {raw!r}: a range compares numbers or ISO 8601 instants, not {value!r}")
