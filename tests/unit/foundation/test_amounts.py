"""The stack's one amount parser (domain/amounts.py): what the ledger and wallets both accept."""

from __future__ import annotations

import pytest

from domain.amounts import parse_amount
from domain.errors import ValidationError


@pytest.mark.parametrize("value, expected", [
    (0, 0), (100, 100), (10**40, 10**40), ("100", 100), (" 7 ", 7), (str(10**30), 10**30),
])
def test_integers_and_digit_strings_are_amounts(value: object, expected: int) -> None:
    assert parse_amount(value, "amount") == expected


@pytest.mark.parametrize("value, fragment", [
    (100.0, "got a number 100.0"),  # whole but fractional notation: issue 14, point 7
    (1e2, "got a number 100.0"),
    (1.5, "got a number 1.5"),
    (True, "got a boolean"),
    (None, "got null"),
    ("1e2", "got string '1e2'"),
    ("100.0", "got string '100.0'"),
    ("", "got string ''"),
    ("0x10", "got string"),
    ({"amount": 1}, "got an object"),
    (-1, "must be >= 0, got -1"),
    ("-3", "must be >= 0, got -3"),
])
def test_anything_else_is_refused_naming_the_field(value: object, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_amount(value, "postings[0].amount")
    assert exc.value.message.startswith("postings[0].amount must be")
    assert fragment in exc.value.message


def test_minimum() -> None:
    assert parse_amount(1, "amount", minimum=1) == 1
    with pytest.raises(ValidationError, match="must be >= 1, got 0"):
        parse_amount(0, "amount", minimum=1)
