"""The Formance retry schedule and outcome classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.webhooks.models import AttemptOutcome
from domain.webhooks.policy import (
    RetrySchedule,
    backoff,
    classify,
    next_retry_delay,
    parse_retry_after,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("code", "outcome"), [
    (200, AttemptOutcome.SUCCEEDED), (204, AttemptOutcome.SUCCEEDED),
    (400, AttemptOutcome.PERMANENT_FAILURE), (404, AttemptOutcome.PERMANENT_FAILURE),
    (408, AttemptOutcome.RETRYABLE_FAILURE), (429, AttemptOutcome.RETRYABLE_FAILURE),
    (500, AttemptOutcome.RETRYABLE_FAILURE), (503, AttemptOutcome.RETRYABLE_FAILURE),
    (None, AttemptOutcome.RETRYABLE_FAILURE), (302, AttemptOutcome.RETRYABLE_FAILURE),
])
def test_4xx_other_than_408_and_429_is_permanent(code: int | None,
                                                  outcome: AttemptOutcome) -> None:
    assert classify(code) is outcome


def test_default_backoff_doubles_from_one_minute_to_one_hour() -> None:
    minutes = [backoff(RetrySchedule(), n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_gives_up_after_max_attempts() -> None:
    schedule = RetrySchedule()
    assert next_retry_delay(schedule, attempts_made=14, first_attempt_at=T0, now=T0) is not None
    assert next_retry_delay(schedule, attempts_made=15, first_attempt_at=T0, now=T0) is None


def test_gives_up_when_the_next_attempt_would_pass_the_abort_window() -> None:
    schedule = RetrySchedule()
    late = T0 + timedelta(hours=9, minutes=30)
    assert next_retry_delay(schedule, attempts_made=8, first_attempt_at=T0, now=late) is None
    assert next_retry_delay(schedule, attempts_made=8, first_attempt_at=T0,
                            now=T0 + timedelta(hours=8)) == timedelta(hours=1)


def test_retry_after_is_honoured_when_longer_and_capped() -> None:
    schedule = RetrySchedule()
    delay = next_retry_delay(schedule, attempts_made=1, first_attempt_at=T0, now=T0,
                             retry_after=timedelta(minutes=10))
    assert delay == timedelta(minutes=10)
    shorter = next_retry_delay(schedule, attempts_made=3, first_attempt_at=T0, now=T0,
                               retry_after=timedelta(seconds=5))
    assert shorter == timedelta(minutes=4)
    capped = next_retry_delay(schedule, attempts_made=1, first_attempt_at=T0, now=T0,
                              retry_after=timedelta(hours=9))
    assert capped == timedelta(hours=6)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", T0) == timedelta(seconds=120)
    assert parse_retry_after("Thu, 01 Jan 2026 00:02:00 GMT", T0) == timedelta(minutes=2)
    assert parse_retry_after("soon", T0) is None
    assert parse_retry_after(None, T0) is None
