"""Rules (SDK 9): a template kind with its spec, a severity, a cadence (the alert period), an
optional cron schedule evaluated by a Temporal Schedule, labels and notification targets. The
request shapes are the SDK's RuleRequest and RulePatchRequest; everything is checked here, so a
bad rule is a 400 before anything is stored or scheduled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict

from domain.errors import ValidationError
from domain.reconciliation import inputs
from domain.reconciliation.cron import parse_cron
from domain.reconciliation.periods import Cadence
from domain.reconciliation.templates import TemplateKind, parse_spec


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ScheduleKind(StrEnum):
    ON_DEMAND = "on_demand"
    CRON = "cron"


class RuleSchedule(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: ScheduleKind
    expr: str | None = None
    tz: str | None = None
    safety_margin: str | None = None  # a Go duration: how far behind "now" sources are read


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    template_kind: TemplateKind
    template_spec: dict[str, Any]
    severity: Severity
    enabled: bool
    cadence: Cadence
    schedule: RuleSchedule | None
    labels: dict[str, str]
    notifications: list[str]
    explanation_cel: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def scheduled(self) -> bool:
        """Evaluated by a Temporal Schedule (paused while the rule is disabled)."""
        return self.schedule is not None and self.schedule.kind is ScheduleKind.CRON

    @property
    def tz(self) -> str | None:
        return self.schedule.tz if self.schedule is not None else None


_FIELDS = {"name", "templateKind", "templateSpec", "cadence", "enabled", "labels",
           "notifications", "schedule", "severity", "explanationCEL"}


def new_rule(body: Any) -> Rule:
    body = inputs.body_object(body, "a rule")
    _known(body)
    now = datetime.now(UTC)
    kind = _enum(TemplateKind, body.get("templateKind"), "templateKind")
    return Rule(
        id=str(uuid.uuid4()), name=_name(body.get("name")), template_kind=kind,
        template_spec=_spec(kind, body.get("templateSpec")),
        severity=_enum(Severity, body.get("severity", "medium"), "severity"),
        enabled=_bool(body.get("enabled", True), "enabled"),
        cadence=_enum(Cadence, body.get("cadence", "continuous"), "cadence"),
        schedule=_schedule(body.get("schedule")), labels=_labels(body.get("labels", {})),
        notifications=_notifications(body.get("notifications", [])),
        explanation_cel=_optional_text(body.get("explanationCEL"), "explanationCEL"),
        created_at=now, updated_at=now)


def patched_rule(rule: Rule, body: Any) -> Rule:
    """The rule with the fields the patch gives (absent or null: unchanged)."""
    body = inputs.body_object(body, "the rule fields to change")
    _known(body)
    given = {k: v for k, v in body.items() if v is not None}
    kind = _enum(TemplateKind, given.get("templateKind", rule.template_kind), "templateKind")
    if kind is not rule.template_kind and "templateSpec" not in given:
        raise ValidationError("templateSpec is required when templateKind changes")
    changes: dict[str, Any] = {"template_kind": kind, "updated_at": datetime.now(UTC)}
    if "templateSpec" in given or kind is not rule.template_kind:
        changes["template_spec"] = _spec(kind, given.get("templateSpec"))
    if "name" in given:
        changes["name"] = _name(given["name"])
    if "severity" in given:
        changes["severity"] = _enum(Severity, given["severity"], "severity")
    if "enabled" in given:
        changes["enabled"] = _bool(given["enabled"], "enabled")
    if "cadence" in given:
        changes["cadence"] = _enum(Cadence, given["cadence"], "cadence")
    if "schedule" in given:
        changes["schedule"] = _schedule(given["schedule"])
    if "labels" in given:
        changes["labels"] = _labels(given["labels"])
    if "notifications" in given:
        changes["notifications"] = _notifications(given["notifications"])
    if "explanationCEL" in given:
        changes["explanation_cel"] = _optional_text(given["explanationCEL"], "explanationCEL")
    return rule.model_copy(update=changes)


def _known(body: dict[str, Any]) -> None:
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise ValidationError(f"unknown rule fields: {', '.join(unknown)}")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("name is required and must be a non-empty string")
    return value


def _enum(kind: Any, value: Any, key: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValidationError(f"{key} must be one of {allowed}, got {value!r}") from None


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false")
    return value


def _spec(kind: TemplateKind, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError("templateSpec must be a JSON object")
    parse_spec(kind, value)
    return value


def _schedule(value: Any) -> RuleSchedule | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError("schedule must be an object {kind, expr?, tz?, safetyMargin?}")
    kind = _enum(ScheduleKind, value.get("kind"), "schedule.kind")
    expr = _optional_text(value.get("expr"), "schedule.expr")
    tz = _optional_text(value.get("tz"), "schedule.tz")
    margin = value.get("safetyMargin")
    if margin is not None:
        margin = inputs.go_duration(margin, "schedule.safetyMargin")
    if kind is ScheduleKind.CRON:
        parse_cron(expr or "")
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"schedule.tz: unknown time zone {tz!r}") from None
    return RuleSchedule(kind=kind, expr=expr, tz=tz, safety_margin=margin)


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValidationError("labels must be an object of strings")
    return dict(value)


def _notifications(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("notifications must be an array of strings")
    return list(value)


def _optional_text(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a string")
    return value
