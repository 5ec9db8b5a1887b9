"""The term language: which text is a match, a range or free text, what each value may stand
for, and which terms are refused with a message naming the problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.search.errors import InvalidQueryError
from domain.search.terms import FreeText, Match, Range, parse_term


def test_matches_ranges_and_free_text() -> None:
    assert parse_term("destination=central_bank1") == Match(("destination",),
                                                            ("central_bank1",))
    assert parse_term("txid=42") == Match(("txid",), ("42", 42))
    assert parse_term("reverted=true") == Match(("reverted",), ("true", True))
    assert parse_term("metadata.a.b=x=y") == Match(("metadata", "a.b"), ("x=y",))
    assert parse_term("amount>=100") == Range(("amount",), ">=", 100)
    assert parse_term("amount<1.5") == Range(("amount",), "<", Decimal("1.5"))
    assert parse_term("timestamp>2024-05-01T10:00:00.1+02:00") == Range(
        ("timestamp",), ">", "2024-05-01T08:00:00.100000Z")
    assert parse_term("users:001") == FreeText("users:001")
    assert parse_term("  two words=x ") == FreeText("two words=x")
    assert parse_term("a.b=c") == FreeText("a.b=c")  # only metadata nests


def test_an_instant_matches_its_indexed_form() -> None:
    assert parse_term("createdAt=2025-01-02T00:00:00Z").values == (  # type: ignore[union-attr]
        "2025-01-02T00:00:00Z", "2025-01-02T00:00:00.000000Z")


@pytest.mark.parametrize(("term", "words"), [
    ("=x", "no key"), ("address=", "no value"), (">=3", "no key"),
    ("amount>many", "numbers or ISO 8601"), ("metadata=x", "metadata.<key>"),
    ("metadata.=x", "metadata.<key>"), ("", "empty"), ("x" * 2000, "longer than"),
])
def test_refused_terms(term: str, words: str) -> None:
    with pytest.raises(InvalidQueryError) as refused:
        parse_term(term)
    assert words in refused.value.message
