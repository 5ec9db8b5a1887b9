"""The one amount parser of the stack: every module (ledger postings, wallets credits, debits and
hold confirmations) reads a client's amount through `parse_amount`, so that the same JSON value
is accepted or refused the same way wherever it is sent.

An amount is an integer of any size, given as a JSON integer or, for clients that send big
integers as strings (`Formance-Bigint-As-String`), as a string of decimal digits. A JSON number
with a fraction or an exponent (`100.0`, `1e2`) is refused even when its value is whole: the
Formance specs type amounts as integers, the ledger has always refused them, and accepting them
in one module only would make the same request succeed or fail depending on the route."""

from __future__ import annotations

import re

from domain.errors import ValidationError

_DIGITS = re.compile(r"^[0-9]+$")
_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}


def describe(value: object) -> str:
    """What a JSON value is, for error messages ("a number 100.0", "a string")."""
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    return f"{kind} {value!r}" if isinstance(value, float) else kind


def parse_amount(value: object, where: str, *, minimum: int = 0) -> int:
    """The integer amount `value` stands for; `where` names the field in the error.
    `minimum` is the smallest accepted value (0 for postings, 1 where a zero moves nothing)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        # bool is an int subclass in Python, never an amount in JSON.
        raise ValidationError(f"{where} must be an integer, got {describe(value)}")
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")
        if not _DIGITS.match(text[1:] if negative else text):
            raise ValidationError(f"{where} must be an integer, got string {value!r}")
        number = int(text)
    else:
        number = value
    if number < minimum:
        raise ValidationError(f"{where} must be >= {minimum}, got {number}")
    return number
