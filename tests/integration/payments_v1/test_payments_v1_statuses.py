"""The v1 transfer-initiation statuses derived from v3 adjustments (pure): every row of the
table in domain/payments/v1/transfer_initiations.py, including the orders no HTTP test can
hold still (a scheduled one sent, a reversal without an amount, an UNKNOWN adjustment)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ValidationError
from domain.payments.initiations import (
    InitiationAdjustment,
    InitiationStatus,
    InitiationType,
    PaymentInitiation,
)
from domain.payments.v1.transfer_initiations import (
    Action,
    history,
    status_action,
    status_of,
    v3_filters,
)

S = InitiationStatus
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _initiation(status: InitiationStatus) -> PaymentInitiation:
    return PaymentInitiation(id="pi", connector_id="c", provider="dummypay", reference="r",
                             created_at=T0, type=InitiationType.TRANSFER, amount=1000,
                             asset="EUR/2", status=status)


def _adjustments(*steps: tuple[InitiationStatus, int | None]) -> list[InitiationAdjustment]:
    # Given newest first, as the v3 store lists them.
    made = [InitiationAdjustment(id=f"a{i}", initiation_id="pi",
                                 created_at=T0 + timedelta(seconds=i), status=status,
                                 amount=amount)
            for i, (status, amount) in enumerate(steps)]
    return made[::-1]


@pytest.mark.parametrize(("steps", "expected"), [
    ([S.WAITING_FOR_VALIDATION], ["WAITING_FOR_VALIDATION"]),
    ([S.WAITING_FOR_VALIDATION, S.REJECTED], ["WAITING_FOR_VALIDATION", "REJECTED"]),
    ([S.WAITING_FOR_VALIDATION, S.SCHEDULED_FOR_PROCESSING, S.PROCESSING, S.PROCESSED],
     ["WAITING_FOR_VALIDATION", "VALIDATED", "PROCESSING", "PROCESSED"]),
    ([S.WAITING_FOR_VALIDATION, S.PROCESSING, S.FAILED, S.PROCESSING, S.FAILED],
     ["WAITING_FOR_VALIDATION", "VALIDATED", "PROCESSING", "FAILED", "ASK_RETRIED",
      "PROCESSING", "FAILED"]),
    ([S.WAITING_FOR_VALIDATION, S.UNKNOWN], ["WAITING_FOR_VALIDATION"]),
])
def test_history(steps: list[InitiationStatus], expected: list[str]) -> None:
    initiation = _initiation(steps[-1])
    adjustments = _adjustments(*[(s, None) for s in steps])
    assert [a.status.value for a in history(initiation, adjustments)] == expected
    assert status_of(initiation, adjustments).value == expected[-1]


def test_reversals_partial_then_whole() -> None:
    initiation = _initiation(S.REVERSED)
    base = [(S.WAITING_FOR_VALIDATION, None), (S.PROCESSING, None), (S.PROCESSED, None)]
    one = _adjustments(*base, (S.REVERSE_PROCESSING, 300), (S.REVERSED, 300))
    assert [a.status.value for a in history(initiation, one)][3:] == [
        "PROCESSED", "ASK_REVERSED", "REVERSE_PROCESSING", "PARTIALLY_REVERSED"]
    assert status_of(initiation, one).value == "PARTIALLY_REVERSED"
    failed = _adjustments(*base, (S.REVERSE_PROCESSING, 300), (S.REVERSE_FAILED, 300))
    assert status_of(_initiation(S.REVERSE_FAILED), failed).value == "REVERSE_FAILED"
    two = _adjustments(*base, (S.REVERSE_PROCESSING, 300), (S.REVERSED, 300),
                       (S.REVERSE_PROCESSING, 700), (S.REVERSED, 700))
    assert status_of(initiation, two).value == "REVERSED"
    # A reversal that does not say its amount reversed all of it.
    whole = _adjustments(*base, (S.REVERSE_PROCESSING, None), (S.REVERSED, None))
    assert status_of(initiation, whole).value == "REVERSED"
    # The requests get ids of their own.
    ids = [a.id for a in history(initiation, two)]
    assert len(ids) == len(set(ids))


def test_list_filters_on_v1_statuses() -> None:
    assert v3_filters({"status": "VALIDATED", "asset": "EUR/2"}) == {
        "status": "SCHEDULED_FOR_PROCESSING", "asset": "EUR/2"}
    assert v3_filters({"status": "PARTIALLY_REVERSED"}) == {"status": "REVERSED"}
    for same in ("REVERSED", "PROCESSING", "SCHEDULED_FOR_PROCESSING", "WAITING_FOR_VALIDATION"):
        assert v3_filters({"status": same}) == {"status": same}
    assert v3_filters({"reference": "x"}) == {"reference": "x"}
    for refused in ("ASK_RETRIED", "ASK_REVERSED", "validated", ""):
        with pytest.raises(ValidationError):
            v3_filters({"status": refused})


def test_status_without_adjustments_and_the_status_request() -> None:
    assert status_of(_initiation(S.SCHEDULED_FOR_PROCESSING), None).value == "VALIDATED"
    assert status_of(_initiation(S.PROCESSED), None).value == "PROCESSED"
    assert status_action({"status": "VALIDATED"}) is Action.APPROVE
    assert status_action({"status": "REJECTED"}) is Action.REJECT
    bodies: list[object] = [{"status": "PROCESSED"}, {}, [], None, {"status": None}]
    for body in bodies:
        with pytest.raises(ValidationError, match="VALIDATED or REJECTED"):
            status_action(body)
