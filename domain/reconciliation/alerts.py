"""Alerts and their state machine (pure). One alert per rule, fingerprint and period; every
change appends an event to its timeline, whose `notify` says whether it is published (outbox).

- A failing outcome opens the alert (OPEN), or counts again on an open one (published only when
  the evidence changed: a repeated identical failure is kept for audit), or reopens a RESOLVED
  one in place (isReopen) unless it was accepted by the business with the same evidence.
- A passing outcome resolves an OPEN or ACKNOWLEDGED alert automatically (kind auto).
- ack: OPEN to ACKNOWLEDGED. resolve (fixed_by_booking) and accept (accepted_by_business, a
  note required): OPEN or ACKNOWLEDGED to RESOLVED. snooze: a future `until` on an alert not
  RESOLVED; it mutes the alert's notifications only (the alert keeps failing and counting), and
  the first failure after `until` clears it. unsnooze clears a snooze.
Refusals of the current state are AlertStateError (409); bad values are ValidationError (400)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.errors import ValidationError
from domain.ledger.hashing import format_time
from domain.ledger.query.values import parse_datetime
from domain.reconciliation.errors import AlertStateError
from domain.reconciliation.events import EventType
from domain.reconciliation.templates import Outcome

AUTO_BY = "system"


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class AlertEventType(StrEnum):
    FAIL = "fail"
    PASS = "pass"
    ACK = "ack"
    RESOLVE = "resolve"
    ACCEPT = "accept"
    SNOOZE = "snooze"
    UNSNOOZE = "unsnooze"


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    fingerprint: str
    period_id: str
    severity: str
    status: AlertStatus
    first_seen_at: datetime
    last_seen_at: datetime
    occurrence_count: int
    last_evaluation_id: str
    evidence: dict[str, Any] | None
    labels: dict[str, str]
    # In their API shape (times as RFC 3339 strings), as stored.
    ack: dict[str, Any] | None = None
    resolution: dict[str, Any] | None = None
    snooze: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "ruleID": self.rule_id, "fingerprint": self.fingerprint,
            "periodID": self.period_id, "severity": self.severity, "status": self.status.value,
            "firstSeenAt": format_time(self.first_seen_at),
            "lastSeenAt": format_time(self.last_seen_at),
            "occurrenceCount": self.occurrence_count,
            "lastEvaluationID": self.last_evaluation_id, "labels": self.labels,
            "createdAt": format_time(self.created_at),
            "updatedAt": format_time(self.updated_at),
        }
        for key in ("evidence", "ack", "resolution", "snooze"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def snoozed_at(self, now: datetime) -> bool:
        return self.snooze is not None and parse_datetime(self.snooze["until"]) > now


class AlertEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    alert_id: str
    type: AlertEventType
    at: datetime
    prev_status: AlertStatus | None
    new_status: AlertStatus
    is_reopen: bool
    notify: bool
    evaluation_id: str | None
    payload: dict[str, Any]
    published: EventType | None  # the outbox event type, when notify

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "alertID": self.alert_id, "type": self.type.value,
                "at": format_time(self.at),
                "prevStatus": self.prev_status.value if self.prev_status else None,
                "newStatus": self.new_status.value, "isReopen": self.is_reopen,
                "notify": self.notify, "evaluationID": self.evaluation_id,
                "payload": self.payload}


@dataclass(frozen=True)
class Case:
    """What an evaluation knows of the alert an outcome falls in."""

    rule_id: str
    severity: str
    labels: dict[str, str]
    period_id: str
    evaluation_id: str
    now: datetime


Change = tuple[Alert, AlertEvent]


def on_outcome(alert: Alert | None, outcome: Outcome, case: Case) -> Change | None:
    if outcome.passed:
        return None if alert is None else _passed(alert, case)
    if alert is None:
        opened = Alert(
            id=str(uuid.uuid4()), rule_id=case.rule_id, fingerprint=outcome.fingerprint,
            period_id=case.period_id, severity=case.severity, status=AlertStatus.OPEN,
            first_seen_at=case.now, last_seen_at=case.now, occurrence_count=1,
            last_evaluation_id=case.evaluation_id, evidence=outcome.evidence,
            labels=case.labels, created_at=case.now, updated_at=case.now)
        return opened, _event(opened, AlertEventType.FAIL, None, case.now, True,
                              EventType.OPENED_ALERT, case.evaluation_id,
                              {"evidence": outcome.evidence})
    return _failed_again(alert, outcome, case)


def _failed_again(alert: Alert, outcome: Outcome, case: Case) -> Change:
    payload: dict[str, Any] = {"evidence": outcome.evidence}
    snooze = alert.snooze
    if snooze is not None and not alert.snoozed_at(case.now):
        snooze = None  # the first failure after `until` clears it
        payload["snoozeCleared"] = True
    muted = snooze is not None
    same = outcome.evidence == alert.evidence
    resolution = alert.resolution
    status, reopen, published = alert.status, False, EventType.UPDATED_ALERT
    if alert.status is AlertStatus.RESOLVED:
        accepted_as_is = (resolution is not None
                          and resolution.get("kind") == "accepted_by_business"
                          and resolution.get("evidenceSnapshot") == outcome.evidence)
        if accepted_as_is:
            notify = False
        else:
            status, reopen, published, resolution = (AlertStatus.OPEN, True,
                                                     EventType.OPENED_ALERT, None)
            notify = not muted
    else:
        notify = not muted and not same
    updated = alert.model_copy(update={
        "status": status, "last_seen_at": case.now,
        "occurrence_count": alert.occurrence_count + 1,
        "last_evaluation_id": case.evaluation_id, "evidence": outcome.evidence,
        "resolution": resolution, "snooze": snooze, "updated_at": case.now,
        "ack": None if reopen else alert.ack})
    return updated, _event(updated, AlertEventType.FAIL, alert.status, case.now, notify,
                           published, case.evaluation_id, payload, reopen=reopen)


def _passed(alert: Alert, case: Case) -> Change | None:
    if alert.status is AlertStatus.RESOLVED:
        return None
    resolution = {"kind": "auto", "by": AUTO_BY, "at": format_time(case.now),
                  "evidenceSnapshot": alert.evidence}
    updated = alert.model_copy(update={"status": AlertStatus.RESOLVED,
                                       "resolution": resolution,
                                       "last_evaluation_id": case.evaluation_id,
                                       "updated_at": case.now})
    return updated, _event(updated, AlertEventType.PASS, alert.status, case.now,
                           not alert.snoozed_at(case.now), EventType.RESOLVED_ALERT,
                           case.evaluation_id, {})


# --- actions -------------------------------------------------------------------------------------

def act(alert: Alert, action: AlertEventType, body: Any, now: datetime) -> Change:
    """An operator's action on the alert, with its request body (SDK *AlertRequest shapes)."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object with `by`")
    by = body.get("by")
    if not isinstance(by, str) or not by.strip():
        raise ValidationError("by is required: who takes the action")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise ValidationError("note must be a string")
    stamp = {"by": by, "at": format_time(now), **({"note": note} if note else {})}
    if action is AlertEventType.ACK:
        _require(alert, {AlertStatus.OPEN}, "acknowledged")
        return _manual(alert, action, now, {"status": AlertStatus.ACKNOWLEDGED, "ack": stamp},
                       EventType.ACKNOWLEDGED_ALERT, stamp)
    if action in (AlertEventType.RESOLVE, AlertEventType.ACCEPT):
        _require(alert, {AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED},
                 "resolved" if action is AlertEventType.RESOLVE else "accepted")
        resolution: dict[str, Any] = {**stamp, "evidenceSnapshot": alert.evidence}
        if action is AlertEventType.ACCEPT:
            if not note:
                raise ValidationError("note is required: why the business accepts the break")
            resolution["kind"] = "accepted_by_business"
        else:
            resolution["kind"] = "fixed_by_booking"
            refs = body.get("transactionRefs")
            if refs is not None:
                if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
                    raise ValidationError("transactionRefs must be an array of strings")
                resolution["transactionRefs"] = refs
        return _manual(alert, action, now,
                       {"status": AlertStatus.RESOLVED, "resolution": resolution},
                       EventType.RESOLVED_ALERT, resolution)
    if action is AlertEventType.SNOOZE:
        until = parse_datetime(body.get("until"), context="until")
        if until <= now:
            raise ValidationError("until must be in the future")
        _require(alert, {AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED}, "snoozed")
        snooze = {**stamp, "until": format_time(until)}
        return _manual(alert, action, now, {"snooze": snooze}, EventType.SNOOZED_ALERT, snooze)
    if alert.snooze is None:
        raise AlertStateError(f"alert {alert.id} is not snoozed")
    return _manual(alert, action, now, {"snooze": None}, EventType.UNSNOOZED_ALERT, stamp)


def _require(alert: Alert, allowed: set[AlertStatus], verb: str) -> None:
    if alert.status not in allowed:
        raise AlertStateError(f"alert {alert.id} is {alert.status.value}: it cannot be {verb}")


def _manual(alert: Alert, action: AlertEventType, now: datetime, changes: dict[str, Any],
            published: EventType, payload: dict[str, Any]) -> Change:
    updated = alert.model_copy(update={**changes, "updated_at": now})
    return updated, _event(updated, action, alert.status, now, True, published, None, payload)


def _event(alert: Alert, kind: AlertEventType, prev: AlertStatus | None, at: datetime,
           notify: bool, published: EventType, evaluation_id: str | None,
           payload: dict[str, Any], *, reopen: bool = False) -> AlertEvent:
    return AlertEvent(id=str(uuid.uuid4()), alert_id=alert.id, type=kind, at=at,
                      prev_status=prev, new_status=alert.status, is_reopen=reopen,
                      notify=notify, evaluation_id=evaluation_id, payload=payload,
                      published=published if notify else None)
