"""The v1 JSON shapes (the v1-2 spec's Account, AccountBalance, Payment, Pool, BankAccount,
Task...) of the v3 objects. Fields the v1 spec requires as strings are never null: a missing
account id or default asset is an empty string, as Formance's v1 API renders them."""

from __future__ import annotations

from typing import Any

from domain.payments import ids
from domain.payments.events import iso
from domain.payments.initiation_events import ZERO_TIME
from domain.payments.initiations import InitiationAdjustment, PaymentInitiation
from domain.payments.models import (
    Account,
    Balance,
    BankAccount,
    Connector,
    Payment,
    Pool,
    PoolBalance,
    Schedule,
)
from domain.payments.v1 import transfer_initiations as ti
from domain.payments.v1.payments import adjustment_amounts, v1_scheme, v1_status, v1_type
from domain.payments.v1.providers import v1_provider


def connector(c: Connector) -> dict[str, Any]:
    return {"provider": v1_provider(c.provider), "connectorID": c.id, "name": c.name,
            "enabled": not c.scheduled_for_deletion}


def account(a: Account) -> dict[str, Any]:
    return {"id": a.id, "createdAt": iso(a.created_at), "reference": a.reference,
            "connectorID": a.connector_id, "provider": v1_provider(a.provider),
            "defaultCurrency": a.default_asset or "", "defaultAsset": a.default_asset or "",
            "accountName": a.name or "", "type": a.type.value, "metadata": a.metadata,
            "raw": a.raw}


def balance(b: Balance) -> dict[str, Any]:
    return {"accountId": b.account_id, "createdAt": iso(b.created_at),
            "lastUpdatedAt": iso(b.last_updated_at), "currency": b.asset, "asset": b.asset,
            "balance": b.balance}


def payment(p: Payment) -> dict[str, Any]:
    amounts = adjustment_amounts(p)
    return {"id": p.id, "reference": p.reference, "connectorID": p.connector_id,
            "provider": v1_provider(p.provider),
            "sourceAccountID": p.source_account_id or "",
            "destinationAccountID": p.destination_account_id or "",
            "type": v1_type(p.type), "status": v1_status(p.status),
            "initialAmount": p.initial_amount, "amount": p.amount,
            "scheme": v1_scheme(p.scheme), "asset": p.asset, "createdAt": iso(p.created_at),
            # The provider's payload is the newest adjustment's (v3 keeps it there).
            "raw": p.adjustments[0].raw if p.adjustments else {},
            "adjustments": [{"reference": a.reference, "createdAt": iso(a.created_at),
                             "status": v1_status(a.status), "amount": amount, "raw": a.raw}
                            for a, amount in zip(p.adjustments, amounts, strict=True)],
            "metadata": p.metadata}


def pool(p: Pool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "name": p.name, "type": p.type.value,
                           "accounts": list(p.account_ids)}
    if p.query is not None:
        out["query"] = p.query
    return out


def pool_balance(b: PoolBalance) -> dict[str, Any]:
    return {"amount": b.amount, "asset": b.asset, "relatedAccounts": list(b.related_accounts)}


def bank_account(b: BankAccount) -> dict[str, Any]:
    related = [{"id": r.account_id, "createdAt": iso(r.created_at),
                "provider": v1_provider(ids.ConnectorID.parse(r.connector_id).provider),
                "connectorID": r.connector_id, "accountID": r.account_id}
               for r in b.related_accounts]
    out: dict[str, Any] = {
        "id": b.id, "name": b.name, "createdAt": iso(b.created_at), "country": b.country or "",
        "accountNumber": b.account_number, "iban": b.iban, "swiftBicCode": b.swift_bic_code,
        "metadata": b.metadata, "relatedAccounts": related}
    if related:
        # The v1 fields of the one connector a bank account had then: the latest forward.
        latest = max(related, key=lambda r: r["createdAt"])
        out.update(connectorID=latest["connectorID"], accountID=latest["accountID"],
                   provider=latest["provider"])
    return {k: v for k, v in out.items() if v is not None}


def task(s: Schedule, name: str) -> dict[str, Any]:
    """A connector's periodic fetch (a v3 schedule) as the v1 task it used to be."""
    stopped = s.paused_at is not None
    return {"id": s.id, "connectorID": s.connector_id, "createdAt": iso(s.created_at),
            "updatedAt": iso(s.paused_at or s.created_at), "descriptor": {"name": name},
            "status": "STOPPED" if stopped else "ACTIVE", "state": None,
            "error": s.paused_reason if stopped else None}


def transfer_initiation(p: PaymentInitiation,
                        adjustments: list[InitiationAdjustment] | None = None,
                        related: list[Payment] | None = None) -> dict[str, Any]:
    """A payment initiation as the v1 TransferInitiation. With its adjustments (a read), its
    v1 history and related payments too; its error is the latest adjustment's."""
    out: dict[str, Any] = {
        "id": p.id, "reference": p.reference, "createdAt": iso(p.created_at),
        "scheduledAt": iso(p.scheduled_at) if p.scheduled_at else ZERO_TIME,
        "description": p.description, "sourceAccountID": p.source_account_id or "",
        "destinationAccountID": p.destination_account_id or "",
        "connectorID": p.connector_id, "provider": v1_provider(p.provider),
        "type": p.type.value, "amount": p.amount, "initialAmount": p.amount,
        "asset": p.asset, "status": ti.status_of(p, adjustments).value, "error": p.error,
        "metadata": p.metadata}
    if related is not None:
        out["relatedPayments"] = [{"paymentID": x.id, "createdAt": iso(x.created_at),
                                   "status": v1_status(x.status)} for x in related]
    if adjustments is not None:
        history = ti.history(p, adjustments)
        if history:
            out["error"] = history[-1].error
        out["relatedAdjustments"] = [
            {"adjustmentID": a.id, "createdAt": iso(a.created_at), "status": a.status.value,
             "error": a.error, "metadata": a.metadata} for a in reversed(history)]
    return out
