"""Payment initiations (v3) and their reversals: the objects, their statuses, and the pure rules
of the lifecycle.

An initiation's history is its adjustments, append-only; its status is the latest adjustment's.
`Lifecycle` is the state a running initiation workflow holds, and its `check_*` methods are the
rules every action obeys. The workflow's update validators call them (a refusal is a 400
VALIDATION before anything is written), and so does the API for a fast answer; the workflow is
the one that decides, so two actions racing (approve and reject) cannot both win."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import ValidationError


class InitiationType(StrEnum):
    UNKNOWN = "UNKNOWN"
    TRANSFER = "TRANSFER"
    PAYOUT = "PAYOUT"


class InitiationStatus(StrEnum):
    """V3PaymentInitiationStatusEnum: the status of an adjustment, and of the initiation (its
    latest adjustment's)."""

    UNKNOWN = "UNKNOWN"
    WAITING_FOR_VALIDATION = "WAITING_FOR_VALIDATION"
    SCHEDULED_FOR_PROCESSING = "SCHEDULED_FOR_PROCESSING"
    PROCESSING = "PROCESSING"
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
    REVERSE_PROCESSING = "REVERSE_PROCESSING"
    REVERSE_FAILED = "REVERSE_FAILED"
    REVERSED = "REVERSED"


class ReversalStatus(StrEnum):
    PROCESSING = "PROCESSING"
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"


# Statuses after which nothing more happens to an initiation.
FINAL = frozenset({InitiationStatus.REJECTED})
# Statuses from which the money has left: a reversal may follow (REVERSED with an amount left to
# reverse, REVERSE_FAILED after a reversal that did not go through).
REVERSIBLE = frozenset({InitiationStatus.PROCESSED, InitiationStatus.REVERSED,
                        InitiationStatus.REVERSE_FAILED})


@dataclass(frozen=True, slots=True)
class PaymentInitiation:
    id: str
    connector_id: str
    provider: str
    reference: str
    created_at: datetime
    type: InitiationType
    amount: int
    asset: str
    status: InitiationStatus
    destination_account_id: str | None = None
    source_account_id: str | None = None
    scheduled_at: datetime | None = None
    description: str = ""
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InitiationAdjustment:
    """One status change of an initiation. A reversal's adjustments carry its amount and
    asset (so v1 can tell a partial reversal from a full one)."""

    id: str
    initiation_id: str
    created_at: datetime
    status: InitiationStatus
    amount: int | None = None
    asset: str | None = None
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reversal:
    id: str
    initiation_id: str
    connector_id: str
    reference: str
    created_at: datetime
    amount: int
    asset: str
    status: ReversalStatus
    description: str = ""
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def attempt_number(adjustments: list[InitiationAdjustment]) -> int:
    """The attempt a send is: one more than the FAILED adjustments so far (Formance's rule)."""
    return 1 + sum(1 for a in adjustments if a.status is InitiationStatus.FAILED)


@dataclass
class Lifecycle:
    """What a running initiation workflow knows of its initiation (rebuilt from nothing but its
    own history: every change goes through the workflow)."""

    status: InitiationStatus
    amount: int
    asset: str
    failed_attempts: int = 0
    reversed_amount: int = 0
    reversing: bool = False

    @property
    def attempt(self) -> int:
        return self.failed_attempts + 1

    def _refuse(self, action: str) -> ValidationError:
        return ValidationError(f"cannot {action} a payment initiation that is "
                               f"{self.status.value}")

    def check_approve(self) -> None:
        if self.status is not InitiationStatus.WAITING_FOR_VALIDATION:
            raise self._refuse("approve")

    def check_reject(self) -> None:
        if self.status is not InitiationStatus.WAITING_FOR_VALIDATION:
            raise self._refuse("reject")

    def check_delete(self) -> None:
        # Beyond Formance (which deletes only while WAITING_FOR_VALIDATION): a scheduled
        # initiation may be deleted too, which cancels its timer; nothing was sent yet.
        if self.status not in (InitiationStatus.WAITING_FOR_VALIDATION,
                               InitiationStatus.SCHEDULED_FOR_PROCESSING):
            raise self._refuse("delete")

    def check_retry(self) -> None:
        if self.status is not InitiationStatus.FAILED:
            raise self._refuse("retry")

    def check_reverse(self, amount: int, asset: str) -> None:
        if self.reversing or self.status is InitiationStatus.REVERSE_PROCESSING:
            raise ValidationError("another reversal of this payment initiation is in progress")
        if self.status not in REVERSIBLE:
            raise self._refuse("reverse")
        if asset != self.asset:
            raise ValidationError(f"asset {asset!r} differs from the payment initiation's "
                                  f"{self.asset!r}")
        left = self.amount - self.reversed_amount
        if amount > left:
            raise ValidationError(f"cannot reverse more than the amount: {amount} asked, "
                                  f"{left} left to reverse")
