"""What a rule's evaluation run starts from, and the id of the rule's Temporal Schedule: shared
by the API (on-demand runs), the schedule activity (scheduled runs) and the workflow, which may
not import one another."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


def rule_schedule_id(rule_id: str) -> str:
    """The schedule's id, and the id its runs start from (Temporal appends each run's time)."""
    return f"reconciliation-rule-{rule_id}"


class EvaluateInput(BaseModel):
    """What an evaluation run starts from. A rule's Temporal Schedule starts every run with the
    same `{rule_id, scheduled: true}` (the activity that writes the schedule builds it from this
    class, the workflow reads it): each run reads the rule as it is then, so a rule change needs
    no schedule change unless its cron, time zone or state changed."""

    model_config = ConfigDict(frozen=True)
    rule_id: str
    scheduled: bool = False
    at: datetime | None = None  # None: the run's start
    safety_margin_seconds: float | None = None  # None: the rule's schedule.safetyMargin
    source_pits: dict[str, datetime] = {}
