"""The Formance JSON of rules (SDK Rule)."""

from __future__ import annotations

from typing import Any

from domain.ledger.hashing import format_time
from domain.reconciliation.rules import Rule


def rule(r: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id, "name": r.name, "templateKind": r.template_kind.value,
        "templateSpec": r.template_spec, "severity": r.severity.value, "enabled": r.enabled,
        "cadence": r.cadence.value, "labels": r.labels, "notifications": r.notifications,
        "createdAt": format_time(r.created_at), "updatedAt": format_time(r.updated_at),
    }
    if r.schedule is not None:
        schedule: dict[str, Any] = {"kind": r.schedule.kind.value}
        for key, value in (("expr", r.schedule.expr), ("tz", r.schedule.tz),
                           ("safetyMargin", r.schedule.safety_margin)):
            if value is not None:
                schedule[key] = value
        out["schedule"] = schedule
    if r.explanation_cel is not None:
        out["explanationCEL"] = r.explanation_cel
    return out
