"""Payment service users (PSUs) as Formance stores them, and their open-banking side: the
connectors a PSU was forwarded to, its connections (a bank the PSU linked through an
open-banking connector) and the link attempts that create or renew them. The request bodies
are checked here (pure): each refusal is a 400 VALIDATION naming the field."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse

from domain.errors import ValidationError
from domain.payments.creation import metadata

CONTACT_FIELDS = ("email", "phoneNumber")
ADDRESS_FIELDS = ("streetNumber", "streetName", "city", "region", "postalCode", "country")


class ConnectionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ERROR = "ERROR"


class AttemptStatus(StrEnum):
    # Lowercase, as the spec's V3OpenBankingConnectionAttemptStatusEnum spells them.
    PENDING = "pending"
    COMPLETED = "completed"
    EXITED = "exited"


@dataclass(frozen=True, slots=True)
class PaymentServiceUser:
    id: str  # a uuid
    name: str
    created_at: datetime
    contact_details: dict[str, str] = field(default_factory=dict)
    address: dict[str, str] = field(default_factory=dict)
    bank_account_ids: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Connection:
    id: str
    psu_id: str
    connector_id: str
    created_at: datetime
    data_updated_at: datetime
    status: ConnectionStatus
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LinkAttempt:
    id: str  # a uuid
    psu_id: str
    connector_id: str
    created_at: datetime
    status: AttemptStatus
    client_redirect_url: str
    connection_id: str | None = None  # set for an update-link, and once completed
    link: str | None = None
    error: str | None = None


def psu(body: Any, psu_id: str, now: datetime) -> tuple[PaymentServiceUser, list[str]]:
    """The PSU and the bank account ids it names (checked to exist by the service)."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise ValidationError("name is required and must be a non-empty string")
    banks = body.get("bankAccountIDs")
    if banks is None:
        banks = []
    if not isinstance(banks, list) or not all(isinstance(b, str) for b in banks):
        raise ValidationError("bankAccountIDs must be a list of bank account ids")
    return PaymentServiceUser(
        id=psu_id, name=name, created_at=now,
        contact_details=_strings(body.get("contactDetails"), "contactDetails",
                                 CONTACT_FIELDS),
        address=_strings(body.get("address"), "address", ADDRESS_FIELDS),
        metadata=metadata(body.get("metadata"))), list(dict.fromkeys(banks))


def redirect_url(body: Any) -> str:
    """The `clientRedirectURL` of a create-link or update-link body."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object with clientRedirectURL")
    value = body.get("clientRedirectURL")
    if not isinstance(value, str):
        raise ValidationError("clientRedirectURL is required")
    url = urlparse(value)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ValidationError("clientRedirectURL must be an http(s) URL")
    return value


def _strings(value: Any, name: str, keys: tuple[str, ...]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{name} must be an object")
    out = {}
    for key, item in value.items():
        if key not in keys:
            raise ValidationError(f"{name}.{key} is not a field of {name} "
                                  f"({', '.join(keys)})")
        if item is None:
            continue
        if not isinstance(item, str) or "\x00" in item:
            raise ValidationError(f"{name}.{key} must be a string")
        out[key] = item
    return out
