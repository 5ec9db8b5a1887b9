"""Transfer initiations (v1) are payment initiations (v3): the same object, the same id, the
same lifecycle. What v1 adds is its statuses, which name the requests as well as the outcomes;
they are derived from the v3 adjustments (oldest first), each telling what happened:

  v3 adjustment               after                    v1 history
  WAITING_FOR_VALIDATION                               WAITING_FOR_VALIDATION
  SCHEDULED_FOR_PROCESSING                             VALIDATED (approved, waits its date)
  PROCESSING                  WAITING_FOR_VALIDATION   VALIDATED, PROCESSING
  PROCESSING                  FAILED                   ASK_RETRIED, PROCESSING
  PROCESSING                  SCHEDULED_FOR_PROCESSING PROCESSING
  REVERSE_PROCESSING                                   ASK_REVERSED, REVERSE_PROCESSING
  REVERSED (amount a)                                  PARTIALLY_REVERSED while the amounts
                                                       reversed so far are under the amount,
                                                       then REVERSED
  PROCESSED, FAILED, REJECTED, REVERSE_FAILED          the same

A transfer initiation's status is its latest v1 adjustment's. The v3 status alone gives it
except after a reversal (partial or not: the amounts tell), which is why lists read the
adjustments of reversed initiations only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import ValidationError
from domain.payments import ids
from domain.payments.errors import InvalidIDError
from domain.payments.initiations import InitiationAdjustment, InitiationStatus, PaymentInitiation

S = InitiationStatus


class TransferStatus(StrEnum):
    """The v1 TransferInitiationStatus enum."""

    WAITING_FOR_VALIDATION = "WAITING_FOR_VALIDATION"
    PROCESSING = "PROCESSING"
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
    VALIDATED = "VALIDATED"
    ASK_RETRIED = "ASK_RETRIED"
    ASK_REVERSED = "ASK_REVERSED"
    REVERSE_PROCESSING = "REVERSE_PROCESSING"
    REVERSE_FAILED = "REVERSE_FAILED"
    PARTIALLY_REVERSED = "PARTIALLY_REVERSED"
    REVERSED = "REVERSED"


T = TransferStatus
# The v3 statuses v1 names alike.
_SAME = {S.WAITING_FOR_VALIDATION: T.WAITING_FOR_VALIDATION, S.PROCESSED: T.PROCESSED,
         S.FAILED: T.FAILED, S.REJECTED: T.REJECTED, S.REVERSE_FAILED: T.REVERSE_FAILED,
         S.PROCESSING: T.PROCESSING, S.REVERSE_PROCESSING: T.REVERSE_PROCESSING}


@dataclass(frozen=True, slots=True)
class TransferAdjustment:
    id: str
    created_at: datetime
    status: TransferStatus
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def history(initiation: PaymentInitiation,
            adjustments: Sequence[InitiationAdjustment]) -> list[TransferAdjustment]:
    """The v1 adjustments, oldest first, of the v3 ones (in any order)."""
    out: list[TransferAdjustment] = []
    previous: InitiationStatus | None = None
    reversed_amount = 0
    for a in sorted(adjustments, key=lambda x: x.created_at):
        asked: TransferStatus | None = None
        if a.status is S.SCHEDULED_FOR_PROCESSING:
            status: TransferStatus | None = T.VALIDATED
        elif a.status is S.PROCESSING:
            asked = {S.WAITING_FOR_VALIDATION: T.VALIDATED,
                     S.FAILED: T.ASK_RETRIED}.get(previous) if previous else None
            status = T.PROCESSING
        elif a.status is S.REVERSE_PROCESSING:
            asked, status = T.ASK_REVERSED, T.REVERSE_PROCESSING
        elif a.status is S.REVERSED:
            reversed_amount += initiation.amount if a.amount is None else a.amount
            status = (T.PARTIALLY_REVERSED if reversed_amount < initiation.amount
                      else T.REVERSED)
        else:
            status = _SAME.get(a.status)  # UNKNOWN: v1 has no name for it, left out
        if asked is not None:
            # The request, at the instant v3 acted on it (v3 writes no adjustment for it).
            out.append(TransferAdjustment(id=f"{a.id}-{asked.value.lower()}",
                                          created_at=a.created_at, status=asked,
                                          metadata=a.metadata))
        if status is not None:
            out.append(TransferAdjustment(id=a.id, created_at=a.created_at, status=status,
                                          error=a.error, metadata=a.metadata))
        previous = a.status
    return out


def status_of(initiation: PaymentInitiation,
              adjustments: Sequence[InitiationAdjustment] | None) -> TransferStatus:
    """The v1 status: the latest v1 adjustment's; from the v3 status alone when the
    adjustments are not given (they are needed only for a REVERSED one)."""
    if adjustments:
        derived = history(initiation, adjustments)
        if derived:
            return derived[-1].status
    if initiation.status is S.SCHEDULED_FOR_PROCESSING:
        return T.VALIDATED
    if initiation.status is S.REVERSED:
        return T.REVERSED
    return _SAME.get(initiation.status, T.PROCESSING)


# --- requests -----------------------------------------------------------------------------------

class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def status_action(body: Any) -> Action:
    """`POST .../status`: VALIDATED approves, REJECTED rejects; v1 clients may set no other."""
    status = body.get("status") if isinstance(body, dict) else None
    if status == T.VALIDATED:
        return Action.APPROVE
    if status == T.REJECTED:
        return Action.REJECT
    raise ValidationError("status must be VALIDATED or REJECTED")


def v3_initiation_body(body: Any, connector_id: str) -> dict[str, Any]:
    """The v3 creation body of a v1 one (its connector resolved by the caller); `validated`
    is told apart (it is v3's noValidation)."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    keys = ("reference", "scheduledAt", "description", "sourceAccountID",
            "destinationAccountID", "type", "amount", "asset", "metadata")
    return {**{k: body[k] for k in keys if k in body}, "connectorID": connector_id}


def validated(body: dict[str, Any]) -> bool:
    value = body.get("validated", False)
    if not isinstance(value, bool):
        raise ValidationError("validated must be a boolean")
    return value


def transfer_body(body: Any, connector_id: str, reference: str) -> dict[str, Any]:
    """`POST /connectors/{connector}/transfers` (a transfer between two accounts of the
    connector, sent at once) as a v3 initiation body. `source` and `destination` are the
    accounts' ids, or their references at the provider, as the legacy API took them."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    connector = ids.ConnectorID.parse(connector_id)

    def account(key: str) -> str | None:
        value = body.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ValidationError(f"{key} must be an account id or reference")
        try:
            if ids.connector_of("account", value) == connector:
                return value
        except InvalidIDError:
            pass
        return ids.account_id(connector, value)

    destination = account("destination")
    if destination is None:
        raise ValidationError("destination is required")
    return {"reference": reference, "connectorID": connector_id, "type": "TRANSFER",
            "amount": body.get("amount"), "asset": body.get("asset"),
            "sourceAccountID": account("source"), "destinationAccountID": destination}


def v3_filters(filters: dict[str, str]) -> dict[str, str]:
    """A list filter on a v1 status, as the v3 status it is stored under. Idempotent (a
    cursor carries the v3 filter)."""
    status = filters.get("status")
    if status is None or status in InitiationStatus.__members__:
        return filters
    if status in (T.ASK_RETRIED, T.ASK_REVERSED):
        raise ValidationError(f"status {status} is a request in a transfer initiation's "
                              "history, never the status it stays in: filter on PROCESSING "
                              "or REVERSE_PROCESSING")
    if status == T.VALIDATED:
        return {**filters, "status": S.SCHEDULED_FOR_PROCESSING.value}
    if status == T.PARTIALLY_REVERSED:
        # Stored as REVERSED, like a whole reversal: the filter selects both, and each one's
        # status tells which it is.
        return {**filters, "status": S.REVERSED.value}
    raise ValidationError(f"unknown status {status!r}: one of "
                          f"{', '.join(s.value for s in TransferStatus)}")
