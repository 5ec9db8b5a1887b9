"""The Formance retry schedule, as pure functions of plain data.

Defaults are Formance's: exponential from 1 minute, doubling, capped at 1 hour; given up after 15
attempts or when the next attempt would fall more than 10 hours after the first; `Retry-After`
honoured when longer than the backoff, up to 6 hours. The schedule travels in the retry
workflow's input, so a running delivery keeps the schedule it started with and tests can shrink
it to seconds."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from pydantic import BaseModel, ConfigDict

from domain.webhooks.models import AttemptOutcome


class RetrySchedule(BaseModel):
    model_config = ConfigDict(frozen=True)

    min_backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(hours=1)
    abort_after: timedelta = timedelta(hours=10)
    max_attempts: int = 15
    retry_after_cap: timedelta = timedelta(hours=6)

    @classmethod
    def of(cls, settings: object) -> RetrySchedule:
        """The schedule of the module settings (config/webhooks.py), read by attribute: the
        domain does not import config."""
        return cls.model_validate(settings, from_attributes=True)


def classify(status_code: int | None) -> AttemptOutcome:
    """`None` is a transport error (refused, reset, timeout): retryable like a 5xx."""
    if status_code is None:
        return AttemptOutcome.RETRYABLE_FAILURE
    if 200 <= status_code < 300:
        return AttemptOutcome.SUCCEEDED
    if 400 <= status_code < 500 and status_code not in (408, 429):
        return AttemptOutcome.PERMANENT_FAILURE
    return AttemptOutcome.RETRYABLE_FAILURE


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as delay-seconds or an HTTP date; anything unreadable is ignored."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def backoff(schedule: RetrySchedule, attempts_made: int) -> timedelta:
    """Delay after the `attempts_made`-th failure: min, 2*min, 4*min, ... capped at max."""
    exponent = min(max(attempts_made - 1, 0), 32)  # bounded: 2**32 minutes is already past any cap
    delay: timedelta = schedule.min_backoff * (2**exponent)
    return min(delay, schedule.max_backoff)


def next_retry_delay(
    schedule: RetrySchedule, *, attempts_made: int, first_attempt_at: datetime, now: datetime,
    retry_after: timedelta | None = None,
) -> timedelta | None:
    """How long to wait before the next attempt after a retryable failure, or None to give up."""
    if attempts_made >= schedule.max_attempts:
        return None
    delay = backoff(schedule, attempts_made)
    if retry_after is not None:
        delay = max(delay, min(retry_after, schedule.retry_after_cap))
    if (now + delay) - first_attempt_at > schedule.abort_after:
        return None
    return delay
