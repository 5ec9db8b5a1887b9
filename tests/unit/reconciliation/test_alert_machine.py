"""The alert state machine alone (pure): what each outcome and action does to an alert and
whether its event notifies, at chosen instants (a snooze's end needs no waiting here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import ValidationError
from domain.reconciliation.alerts import (
    Alert,
    AlertEventType,
    AlertStatus,
    Case,
    act,
    on_outcome,
)
from domain.reconciliation.errors import AlertStateError
from domain.reconciliation.events import EventType
from domain.reconciliation.templates import Outcome

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _outcome(passed: bool, drift: int = 1) -> Outcome:
    return Outcome(fingerprint="fp", asset="USD/2", passed=passed, proof={},
                   evidence={"drift": drift})


def _case(minutes: float) -> Case:
    return Case(rule_id="r", severity="high", labels={"a": "b"}, period_id="continuous",
                evaluation_id=f"e{minutes}", now=T0 + timedelta(minutes=minutes))


def _open() -> Alert:
    change = on_outcome(None, _outcome(False), _case(0))
    assert change is not None
    return change[0]


def _fail(alert: Alert, minutes: float, drift: int = 1) -> tuple[Alert, Any]:
    change = on_outcome(alert, _outcome(False, drift), _case(minutes))
    assert change is not None
    return change


def test_a_first_failure_opens_and_a_pass_without_alert_does_nothing() -> None:
    alert = _open()
    assert (alert.status, alert.occurrence_count, alert.labels) == (AlertStatus.OPEN, 1,
                                                                    {"a": "b"})
    assert on_outcome(None, _outcome(True), _case(0)) is None


def test_repeats_notify_only_when_the_evidence_changes() -> None:
    alert, event = _fail(_open(), 1)
    assert (alert.occurrence_count, event.notify, event.published) == (2, False, None)
    alert, event = _fail(alert, 2, drift=5)
    assert (event.notify, event.published) == (True, EventType.UPDATED_ALERT)


def test_a_snooze_mutes_until_it_ends_then_the_next_failure_clears_it() -> None:
    alert, _ = act(_open(), AlertEventType.SNOOZE,
                   {"by": "ops", "until": (T0 + timedelta(minutes=10)).isoformat()},
                   T0 + timedelta(minutes=1))
    alert, event = _fail(alert, 5, drift=9)
    assert event.notify is False and alert.snooze is not None
    alert, event = _fail(alert, 11, drift=10)
    assert alert.snooze is None and event.notify is True
    assert event.payload["snoozeCleared"] is True


def test_a_pass_resolves_and_a_failure_reopens_in_place() -> None:
    change = on_outcome(_open(), _outcome(True), _case(1))
    assert change is not None
    resolved, event = change
    assert resolved.status is AlertStatus.RESOLVED and resolved.resolution is not None
    assert resolved.resolution["kind"] == "auto" and event.published is EventType.RESOLVED_ALERT
    assert on_outcome(resolved, _outcome(True), _case(2)) is None
    reopened, event = _fail(resolved, 3)
    assert (reopened.id, reopened.status, event.is_reopen) == (resolved.id, AlertStatus.OPEN,
                                                               True)
    assert reopened.resolution is None


def test_an_accepted_break_stays_resolved_until_it_changes() -> None:
    accepted, _ = act(_open(), AlertEventType.ACCEPT, {"by": "cfo", "note": "fee"}, T0)
    same, event = _fail(accepted, 1)
    assert same.status is AlertStatus.RESOLVED and event.notify is False
    other, event = _fail(accepted, 1, drift=2)
    assert other.status is AlertStatus.OPEN and event.is_reopen


@pytest.mark.parametrize(("status_action", "action", "body", "error"), [
    ("ack", AlertEventType.ACK, {"by": "x"}, AlertStateError),
    ("resolve", AlertEventType.SNOOZE, {"by": "x", "until": "2099-01-01T00:00:00Z"},
     AlertStateError),
    ("resolve", AlertEventType.RESOLVE, {"by": "x"}, AlertStateError),
    (None, AlertEventType.UNSNOOZE, {"by": "x"}, AlertStateError),
    (None, AlertEventType.SNOOZE, {"by": "x", "until": "2024-01-01T00:00:00Z"},
     ValidationError),
    (None, AlertEventType.ACCEPT, {"by": "x"}, ValidationError),
    (None, AlertEventType.ACK, {"note": "x"}, ValidationError),
    (None, AlertEventType.RESOLVE, {"by": "x", "transactionRefs": "tx"}, ValidationError),
])
def test_refusals(status_action: str | None, action: AlertEventType, body: dict[str, Any],
                  error: type[Exception]) -> None:
    alert = _open()
    if status_action is not None:
        alert, _ = act(alert, AlertEventType(status_action), {"by": "ops"}, T0)
    with pytest.raises(error):
        act(alert, action, body, T0 + timedelta(minutes=1))
