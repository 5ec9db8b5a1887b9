"""The request bodies of payment initiations and reversals, checked (pure): each refusal is a
400 VALIDATION naming the field, before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.errors import ValidationError
from domain.payments import ids
from domain.payments.creation import metadata
from domain.payments.initiations import InitiationType

# The spec's pattern (`^[a-zA-Z]{3}\/[0-9]$`) widened as for payments created by hand.
_ASSET = re.compile(r"^[A-Za-z]{3,16}/[0-9]{1,2}$")
REFERENCE_LENGTH = (3, 1000)
DESCRIPTION_MAX = 10000


@dataclass(frozen=True, slots=True)
class InitiationRequest:
    connector: ids.ConnectorID
    reference: str
    type: InitiationType
    amount: int
    asset: str
    destination_account_id: str
    source_account_id: str | None
    scheduled_at: datetime | None
    description: str
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class ReversalRequest:
    reference: str
    amount: int
    asset: str
    description: str
    metadata: dict[str, str]


def initiation(body: Any, now: datetime) -> InitiationRequest:
    body = _object(body)
    value = body.get("connectorID")
    if not isinstance(value, str) or not value:
        raise ValidationError("connectorID is required")
    connector = ids.ConnectorID.parse(value)
    kind = body.get("type")
    if kind not in (InitiationType.TRANSFER.value, InitiationType.PAYOUT.value):
        raise ValidationError("type must be TRANSFER or PAYOUT")
    destination = _account(body, "destinationAccountID")
    if destination is None:
        raise ValidationError("destinationAccountID is required")
    return InitiationRequest(
        connector=connector, reference=_reference(body), type=InitiationType(kind),
        amount=_amount(body), asset=_asset(body), destination_account_id=destination,
        source_account_id=_account(body, "sourceAccountID"),
        scheduled_at=_future(body.get("scheduledAt"), now), description=_description(body),
        metadata=metadata(body.get("metadata")))


def reversal(body: Any) -> ReversalRequest:
    body = _object(body)
    return ReversalRequest(reference=_reference(body), amount=_amount(body),
                           asset=_asset(body), description=_description(body),
                           metadata=metadata(body.get("metadata")))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    return body


def _reference(body: dict[str, Any]) -> str:
    value = body.get("reference")
    low, high = REFERENCE_LENGTH
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise ValidationError(f"reference must be a string of {low} to {high} characters")
    if "\x00" in value:
        raise ValidationError("reference must not contain NUL characters")
    return value


def _amount(body: dict[str, Any]) -> int:
    value = body.get("amount")
    # JSON integers of any size; floats (even 10.0), strings and booleans are refused.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("amount must be an integer (minor units)")
    if value <= 0:
        raise ValidationError("amount must be greater than 0")
    return value


def _asset(body: dict[str, Any]) -> str:
    value = body.get("asset")
    if not isinstance(value, str) or not _ASSET.match(value):
        raise ValidationError(f"asset must be an asset like 'USD/2', got {value!r}")
    return value


def _description(body: dict[str, Any]) -> str:
    value = body.get("description")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > DESCRIPTION_MAX or "\x00" in value:
        raise ValidationError(f"description must be a string of at most {DESCRIPTION_MAX} "
                              "characters")
    return value


def _account(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be an account id")
    ids.connector_of("account", value)
    return value


def _future(value: Any, now: datetime) -> datetime | None:
    """None for no schedule (also Go's zero time, which Formance's clients send for it)."""
    if value is None or value == "" or (isinstance(value, str) and value.startswith("0001-")):
        return None
    if not isinstance(value, str):
        raise ValidationError("scheduledAt must be a date-time")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationError(f"scheduledAt {value!r} is not a date-time") from None
    if when <= now:
        raise ValidationError("scheduledAt must be in the future")
    return when
