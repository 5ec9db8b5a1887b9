"""Reconciliation periods: a rule's cadence scopes each failing fingerprint into a period, so
that a March break and an April break are separate alerts. The period of an evaluation is the
one holding its point in time, in the rule's time zone."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


class Cadence(StrEnum):
    CONTINUOUS = "continuous"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


CONTINUOUS_PERIOD = "continuous"


def period_id(cadence: Cadence, at: datetime, tz: str | None) -> str:
    if cadence is Cadence.CONTINUOUS:
        return CONTINUOUS_PERIOD
    local = at.astimezone(ZoneInfo(tz or "UTC"))
    if cadence is Cadence.DAILY:
        return local.strftime("%Y-%m-%d")
    if cadence is Cadence.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime("%Y-%m")
