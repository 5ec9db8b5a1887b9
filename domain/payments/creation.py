"""Objects created through the v3 API rather than fetched: bank accounts, and the accounts and
payments Formance lets a user create by hand on a connector that allows it. The request bodies
are checked here (pure functions), each refusal a 400 VALIDATION naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from domain.errors import ValidationError
from domain.payments import ids
from domain.payments.models import (
    Account,
    AccountType,
    BankAccount,
    Payment,
    PaymentAdjustment,
    PaymentStatus,
    PaymentType,
)

# The spec's pattern (`^[a-zA-Z]{3}\/[0-9]$`) widened to the assets providers actually send
# (longer codes, two-digit precisions); anything else is refused before it is stored.
_ASSET = re.compile(r"^[A-Za-z]{3,16}/[0-9]{1,2}$")
# Formance refuses payment references under 3 or over 1000 characters.
_REFERENCE_LENGTH = (3, 1000)


def bank_account(body: Any, bank_id: str, now: datetime) -> BankAccount:
    body = _object(body)
    return BankAccount(id=bank_id, created_at=now, name=_text(body, "name"),
                       account_number=_optional(body, "accountNumber"),
                       iban=_optional(body, "iban"),
                       swift_bic_code=_optional(body, "swiftBicCode"),
                       country=_optional(body, "country"),
                       metadata=metadata(body.get("metadata")))


def account(body: Any, now: datetime) -> tuple[ids.ConnectorID, Account]:
    body = _object(body)
    connector = _connector(body)
    reference = _text(body, "reference")
    try:
        kind = AccountType(_text(body, "type"))
    except ValueError:
        raise ValidationError(
            f"type must be one of {', '.join(t.value for t in AccountType)}") from None
    default_asset = _optional(body, "defaultAsset")
    if default_asset is not None:
        _check_asset(default_asset, "defaultAsset")
    return connector, Account(
        id=ids.account_id(connector, reference), connector_id=str(connector),
        provider=connector.provider, reference=reference,
        created_at=_past(body, "createdAt", now), type=kind, name=_text(body, "accountName"),
        default_asset=default_asset, metadata=metadata(body.get("metadata")))


def payment(body: Any, now: datetime) -> tuple[ids.ConnectorID, Payment]:
    body = _object(body)
    connector = _connector(body)
    reference = _text(body, "reference")
    low, high = _REFERENCE_LENGTH
    if not low <= len(reference) <= high:
        raise ValidationError(f"reference must be {low} to {high} characters long")
    try:
        kind = PaymentType(_text(body, "type"))
    except ValueError:
        raise ValidationError(
            f"type must be one of {', '.join(t.value for t in PaymentType)}") from None
    asset = _check_asset(_text(body, "asset"), "asset")
    pid = ids.payment_id(connector, reference, kind.value)
    raw_adjustments = body.get("adjustments")
    # A payment is the aggregate of its adjustments: its status is the latest one's, so
    # Formance requires at least one.
    if not isinstance(raw_adjustments, list) or not raw_adjustments:
        raise ValidationError("adjustments must be a non-empty list")
    adjustments = sorted((_adjustment(pid, x, i, now) for i, x in enumerate(raw_adjustments)),
                         key=lambda a: a.created_at, reverse=True)
    return connector, Payment(
        id=pid, connector_id=str(connector), provider=connector.provider, reference=reference,
        created_at=_past(body, "createdAt", now), type=kind,
        initial_amount=_amount(body, "initialAmount"), amount=_amount(body, "amount"),
        asset=asset, scheme=_text(body, "scheme"), status=adjustments[0].status,
        source_account_id=_account_id(body, "sourceAccountID"),
        destination_account_id=_account_id(body, "destinationAccountID"),
        metadata=metadata(body.get("metadata")), adjustments=tuple(adjustments))


def metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationError("metadata must be an object of string values")
    return dict(value)


# --- fields ------------------------------------------------------------------------------------


def _adjustment(pid: str, x: Any, index: int, now: datetime) -> PaymentAdjustment:
    where = f"adjustments[{index}]"
    if not isinstance(x, dict):
        raise ValidationError(f"{where} must be an object")
    reference = _text(x, "reference", where)
    created = _past(x, "createdAt", now, where)
    try:
        status = PaymentStatus(_text(x, "status", where))
    except ValueError:
        raise ValidationError(f"{where}.status must be one of "
                              f"{', '.join(s.value for s in PaymentStatus)}") from None
    asset = _optional(x, "asset", where)
    if asset is not None:
        _check_asset(asset, f"{where}.asset")
    return PaymentAdjustment(
        id=ids.adjustment_id(pid, reference, _iso(created), status.value), reference=reference,
        created_at=created, status=status,
        amount=_amount(x, "amount", where) if x.get("amount") is not None else None,
        asset=asset, metadata=metadata(x.get("metadata")))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    return body


def _name(key: str, where: str | None) -> str:
    return f"{where}.{key}" if where else key


def _text(body: dict[str, Any], key: str, where: str | None = None) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{_name(key, where)} is required and must be a non-empty string")
    return value


def _optional(body: dict[str, Any], key: str, where: str | None = None) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{_name(key, where)} must be a string")
    return value


def _amount(body: dict[str, Any], key: str, where: str | None = None) -> int:
    value = body.get(key)
    # JSON integers of any size; floats, strings and booleans are refused.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{_name(key, where)} must be a non-negative integer")
    return value


def _check_asset(value: str, key: str) -> str:
    if not _ASSET.match(value):
        raise ValidationError(f"{key} must be an asset like 'USD/2', got {value!r}")
    return value


def _past(body: dict[str, Any], key: str, now: datetime, where: str | None = None) -> datetime:
    value = body.get(key)
    name = _name(key, where)
    if not isinstance(value, str):
        raise ValidationError(f"{name} is required and must be a date-time")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationError(f"{name} {value!r} is not a date-time") from None
    # What happened at the provider cannot be in the future (Formance: createdAt <= now).
    if when > now:
        raise ValidationError(f"{name} must not be in the future")
    return when


def _connector(body: dict[str, Any]) -> ids.ConnectorID:
    value = body.get("connectorID")
    if not isinstance(value, str) or not value:
        raise ValidationError("connectorID is required")
    return ids.ConnectorID.parse(value)


def _account_id(body: dict[str, Any], key: str) -> str | None:
    value = _optional(body, key)
    if value is not None:
        ids.connector_of("account", value)
    return value


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
