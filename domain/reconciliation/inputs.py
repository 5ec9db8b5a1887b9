"""Client input of the reconciliation API, checked here so that bad input is a clear 400 before
anything is stored or started (the workflows receive only checked values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import ValidationError
from domain.ledger.query.fields import Resource
from domain.ledger.query.filters import parse_filter
from domain.ledger.query.values import parse_datetime
from domain.payments.durations import parse_go_duration


def body_object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError(f"the body must be a JSON object ({what})")
    return body


def text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key} is required and must be a non-empty string")
    return value


def ledger_query(value: Any, key: str = "ledgerQuery") -> dict[str, Any]:
    """A ledger v2 account filter, as aggregated balances takes it; refused unless it parses."""
    if not isinstance(value, dict):
        raise ValidationError(f"{key} must be a JSON object (a ledger v2 filter)")
    try:
        parse_filter(Resource.ACCOUNTS, value)
    except ValidationError as exc:
        raise ValidationError(f"{key}: {exc.message}") from None
    return value


def past_time(value: Any, key: str, now: datetime) -> datetime:
    """An RFC 3339 time no later than now: balances of the future are not known yet."""
    at = parse_datetime(value, context=key)
    if at > now:
        raise ValidationError(f"{key} must not be in the future: {value}")
    return at


def go_duration(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a Go duration string such as \"5m\"")
    try:
        parse_go_duration(value)
    except ValueError as exc:
        raise ValidationError(f"{key}: {exc}") from None
    return value
