"""Request bodies and JSON renderings of the Formance wallets spec (field names as in the spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from domain.amounts import parse_amount
from domain.errors import ValidationError
from domain.ledger.models import Transaction
from domain.ledger.query import format_datetime, parse_datetime
from domain.wallets.models import (
    Balance,
    BalanceWithAssets,
    Credit,
    Debit,
    Hold,
    Monetary,
    Subject,
    SubjectType,
    Wallet,
    WalletSummary,
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _time(value: str | None, field: str) -> datetime | None:
    return parse_datetime(value, context=field) if value else None


def _amount(value: object, where: str) -> object:
    """The stack's one amount parser (domain/amounts.py), run before pydantic's lax int
    coercion, which would accept `100.0` as 100. Its error is re-raised as a ValueError so that
    pydantic reports it as a 400 VALIDATION naming the field."""
    if value is None:
        return None
    try:
        return parse_amount(value, where)
    except ValidationError as exc:
        raise ValueError(exc.message) from None


class MonetaryBody(_Body):
    asset: str
    amount: int

    @field_validator("amount", mode="before")
    @classmethod
    def _parse_amount(cls, value: object) -> object:
        return _amount(value, "amount")

    def to_domain(self) -> Monetary:
        return Monetary(asset=self.asset, amount=self.amount)


class SubjectBody(_Body):
    type: str
    identifier: str
    balance: str | None = None

    def to_domain(self) -> Subject:
        kind = self.type.upper()
        if kind not in SubjectType.__members__:
            raise ValidationError(
                f"invalid subject type {self.type!r}: expected ACCOUNT or WALLET"
            )
        if not self.identifier:
            raise ValidationError("a subject needs an identifier")
        return Subject(type=SubjectType(kind), identifier=self.identifier, balance=self.balance)


class CreateWalletRequest(_Body):
    name: str
    metadata: dict[str, str] | None = None


class UpdateWalletRequest(_Body):
    metadata: dict[str, str]


class CreateBalanceRequest(_Body):
    name: str
    expiresAt: str | None = None
    priority: int | None = None

    def to_domain(self) -> Balance:
        return Balance(name=self.name, expires_at=_time(self.expiresAt, "expiresAt"),
                       priority=self.priority)


class CreditWalletRequest(_Body):
    amount: MonetaryBody
    metadata: dict[str, str] | None = None
    reference: str | None = None
    sources: list[SubjectBody] | None = None
    balance: str | None = None
    timestamp: str | None = None

    def to_domain(self) -> Credit:
        return Credit(amount=self.amount.to_domain(),
                      sources=[s.to_domain() for s in self.sources or []],
                      balance=self.balance or None, reference=self.reference or None,
                      metadata=self.metadata or {}, timestamp=_time(self.timestamp, "timestamp"))


class DebitWalletRequest(_Body):
    amount: MonetaryBody
    pending: bool | None = None
    metadata: dict[str, str] | None = None
    description: str | None = None
    destination: SubjectBody | None = None
    balances: list[str] | None = None
    timestamp: str | None = None
    # Ledgerflow extension: a pending debit's hold is voided at this time if still open.
    expiresAt: str | None = None

    def to_domain(self) -> Debit:
        return Debit(amount=self.amount.to_domain(), balances=self.balances or [],
                     destination=self.destination.to_domain() if self.destination else None,
                     pending=bool(self.pending), description=self.description or "",
                     metadata=self.metadata or {}, timestamp=_time(self.timestamp, "timestamp"),
                     hold_expires_at=_time(self.expiresAt, "expiresAt"))


class ConfirmHoldRequest(_Body):
    amount: int | None = None
    final: bool | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _parse_amount(cls, value: object) -> object:
        return _amount(value, "amount")


# --- renderings --------------------------------------------------------------------------------


def wallet_json(w: Wallet) -> dict[str, Any]:
    out: dict[str, Any] = {"id": w.id, "name": w.name, "metadata": w.metadata,
                           "ledger": w.ledger, "createdAt": format_datetime(w.created_at)}
    if w.main_assets is not None:
        out["balances"] = {"main": {"assets": w.main_assets}}
    return out


def balance_json(b: Balance) -> dict[str, Any]:
    out: dict[str, Any] = {"name": b.name}
    if b.expires_at is not None:
        out["expiresAt"] = format_datetime(b.expires_at)
    if b.priority is not None:
        out["priority"] = b.priority
    if isinstance(b, BalanceWithAssets):
        out["assets"] = b.assets
    return out


def subject_json(s: Subject) -> dict[str, Any]:
    out: dict[str, Any] = {"type": s.type.value, "identifier": s.identifier}
    if s.balance:
        out["balance"] = s.balance
    return out


def hold_json(h: Hold, *, expanded: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": h.id, "walletID": h.wallet_id, "metadata": h.metadata,
                           "asset": h.asset, "description": h.description}
    if h.destination is not None:
        out["destination"] = subject_json(h.destination)
    if expanded:
        out["remaining"] = h.remaining
        out["originalAmount"] = h.original_amount
    return out


def summary_json(s: WalletSummary) -> dict[str, Any]:
    return {"balances": [balance_json(b) for b in s.balances],
            "availableFunds": s.available_funds, "expiredFunds": s.expired_funds,
            "expirableFunds": s.expirable_funds, "holdFunds": s.hold_funds}


def transaction_json(ledger: str, t: Transaction) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ledger": ledger, "id": t.id, "timestamp": format_datetime(t.timestamp),
        "postings": [p.to_json() for p in t.postings], "metadata": t.metadata,
    }
    if t.reference:
        out["reference"] = t.reference
    return out
