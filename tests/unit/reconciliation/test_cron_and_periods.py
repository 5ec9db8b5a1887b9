"""Cron expressions parse into the ranges the rule's Temporal calendar takes, or are refused
naming the field; periods are the day, ISO week or month of the point in time in the rule's
time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import ValidationError
from domain.reconciliation.cron import CronRange, parse_cron
from domain.reconciliation.periods import Cadence, period_id


def test_five_fields_start_on_second_zero() -> None:
    c = parse_cron("*/15 9-17 * JAN,jul MON-FRI")
    assert c.second == (CronRange(0, 0),)
    assert c.minute == (CronRange(0, 59, 15),)
    assert c.hour == (CronRange(9, 17),)
    assert c.day_of_month == (CronRange(1, 31),)
    assert c.month == (CronRange(1, 1), CronRange(7, 7))
    assert c.day_of_week == (CronRange(1, 5),)


def test_six_fields_have_seconds_first_and_macros_expand() -> None:
    assert parse_cron("*/5 * * * * *").second == (CronRange(0, 59, 5),)
    daily = parse_cron("@daily")
    assert (daily.hour, daily.minute, daily.day_of_week) == (
        (CronRange(0, 0),), (CronRange(0, 0),), (CronRange(0, 6),))


def test_sunday_is_zero_and_seven() -> None:
    assert parse_cron("0 0 * * 7").day_of_week == (CronRange(0, 0),)
    assert parse_cron("0 0 * * 5-7").day_of_week == (CronRange(0, 0), CronRange(5, 6))
    assert parse_cron("0 0 * * SUN").day_of_week == (CronRange(0, 0),)


@pytest.mark.parametrize(("expr", "words"), [
    ("", "required"), ("* * *", "expected 5 fields"), ("60 * * * *", "minutes"),
    ("* 24 * * *", "hours"), ("* * 0 * *", "day-of-month"), ("* * * 13 *", "month"),
    ("* * * * FUNDAY", "day-of-week"), ("*/0 * * * *", "step"), ("5-1 * * * *", "backwards"),
    ("@sometimes", "not a cron expression"),
])
def test_bad_expressions_name_the_field(expr: str, words: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_cron(expr)
    assert words in exc.value.message


def test_periods_in_the_rules_time_zone() -> None:
    at = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    assert period_id(Cadence.CONTINUOUS, at, None) == "continuous"
    assert period_id(Cadence.DAILY, at, None) == "2025-03-31"
    assert period_id(Cadence.DAILY, at, "Europe/Paris") == "2025-04-01"
    assert period_id(Cadence.WEEKLY, at, "UTC") == "2025-W14"
    assert period_id(Cadence.MONTHLY, at, "Europe/Paris") == "2025-04"
    assert period_id(Cadence.MONTHLY, at, "America/New_York") == "2025-03"
