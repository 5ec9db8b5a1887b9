"""The log hash covers bytes: the fast encoders behind it must produce exactly what the slow,
obviously-correct ones would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ledger.hashing import canonical_json, format_time

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**200), max_value=2**200) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_canonical_json_is_the_stdlib_canonical_form(value: object) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected


def test_canonical_json_escapes_like_the_stdlib() -> None:
    value = {"\u00e9\x00\x1f\x7f\u2028": "\"\\\n\t\b\f\r\U0001f600", "a": 2**64}
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected


def _reference_time(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
       st.sampled_from([None, UTC, timezone(timedelta(hours=2)),
                        timezone(timedelta(hours=-9, minutes=-30))]),
       st.booleans())
def test_format_time_is_utc_rfc3339_with_trimmed_fraction(
        value: datetime, tz: timezone | None, whole_second: bool) -> None:
    if whole_second:
        value = value.replace(microsecond=0)
    value = value.replace(tzinfo=tz)
    assert format_time(value) == _reference_time(value)
    assert format_time(value) == _reference_time(value)  # cached answer, same text
