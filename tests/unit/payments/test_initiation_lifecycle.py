"""The rules every payment initiation action obeys (domain/payments/initiations.py), which the
workflow's update validators apply: each refusal is a ValidationError (400 VALIDATION)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import ValidationError
from domain.payments.initiations import (
    InitiationAdjustment,
    InitiationStatus,
    Lifecycle,
    attempt_number,
)

S = InitiationStatus
ACTIONS = ("approve", "reject", "delete", "retry")
ALLOWED = {
    S.WAITING_FOR_VALIDATION: {"approve", "reject", "delete"},
    S.SCHEDULED_FOR_PROCESSING: {"delete"},  # beyond Formance: cancels the timer
    S.PROCESSING: set(),
    S.PROCESSED: set(),
    S.FAILED: {"retry"},
    S.REJECTED: set(),
    S.REVERSE_PROCESSING: set(),
    S.REVERSE_FAILED: set(),
    S.REVERSED: set(),
}


@pytest.mark.parametrize("status", list(ALLOWED))
@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_is_allowed_only_from_its_statuses(status: InitiationStatus,
                                                       action: str) -> None:
    life = Lifecycle(status=status, amount=100, asset="EUR/2")
    check = getattr(life, f"check_{action}")
    if action in ALLOWED[status]:
        check()
    else:
        with pytest.raises(ValidationError, match=status.value):
            check()


def test_reverse_rules() -> None:
    life = Lifecycle(status=S.PROCESSED, amount=100, asset="EUR/2")
    life.check_reverse(100, "EUR/2")
    with pytest.raises(ValidationError, match="asset"):
        life.check_reverse(10, "USD/2")
    with pytest.raises(ValidationError, match="more than the amount"):
        life.check_reverse(101, "EUR/2")
    life.reversed_amount, life.status = 60, S.REVERSED
    life.check_reverse(40, "EUR/2")  # what is left
    with pytest.raises(ValidationError, match="40 left"):
        life.check_reverse(41, "EUR/2")
    life.reversing = True
    with pytest.raises(ValidationError, match="in progress"):
        life.check_reverse(1, "EUR/2")
    for status in (S.WAITING_FOR_VALIDATION, S.FAILED, S.REJECTED, S.PROCESSING):
        with pytest.raises(ValidationError):
            Lifecycle(status=status, amount=100, asset="EUR/2").check_reverse(1, "EUR/2")


def test_the_attempt_is_one_more_than_the_failures() -> None:
    def adjustment(status: InitiationStatus) -> InitiationAdjustment:
        return InitiationAdjustment(id=status.value, initiation_id="pi",
                                    created_at=datetime.now(UTC), status=status)
    history = [adjustment(s) for s in (S.WAITING_FOR_VALIDATION, S.PROCESSING, S.FAILED,
                                       S.PROCESSING, S.FAILED)]
    assert attempt_number(history) == 3
    assert Lifecycle(status=S.FAILED, amount=1, asset="EUR/2", failed_attempts=2).attempt == 3
