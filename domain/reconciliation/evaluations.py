"""Evaluations of rules: one per run of the evaluation workflow, on demand or scheduled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.ledger.hashing import format_time


class EvaluationResult(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"  # a source could not be read: no outcome, alerts untouched


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    result: EvaluationResult
    started_at: datetime
    ended_at: datetime
    created_at: datetime
    # PASS/FAIL: the per-fingerprint roster (templates.Outcome.entry); ERROR: {"error": ...}.
    evidence: list[dict[str, Any]] | dict[str, Any]
    pit_per_source: dict[str, datetime]
    cost_units: int | None = None
    error: str | None = None

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "ruleID": self.rule_id, "result": self.result.value,
            "startedAt": format_time(self.started_at), "endedAt": format_time(self.ended_at),
            "createdAt": format_time(self.created_at), "evidence": self.evidence,
            "pitPerSource": {k: format_time(v) for k, v in self.pit_per_source.items()},
        }
        if self.cost_units is not None:
            out["costUnits"] = self.cost_units
        if self.error:
            out["error"] = self.error
        return out
