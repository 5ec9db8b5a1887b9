"""The v3 JSON shapes of the payments objects (V3Connector, V3Account, V3Balance, V3Payment,
V3Task in the spec)."""

from __future__ import annotations

from typing import Any

from domain.payments.events import conversion_payload, iso, order_payload
from domain.payments.models import (
    Account,
    Balance,
    BankAccount,
    Connector,
    Conversion,
    Instance,
    Order,
    Payment,
    Pool,
    PoolBalance,
    Schedule,
    Task,
)
from domain.payments.registry import PROVIDERS


def connector(c: Connector) -> dict[str, Any]:
    spec = PROVIDERS.get(c.provider)
    return {"id": c.id, "reference": c.reference, "name": c.name,
            "createdAt": iso(c.created_at), "provider": c.provider,
            "scheduledForDeletion": c.scheduled_for_deletion, "config": c.config,
            "capabilities": [x.value for x in spec.capabilities] if spec else [],
            "updatedAt": iso(c.updated_at) if c.updated_at else None}


def account(a: Account) -> dict[str, Any]:
    return {"id": a.id, "connectorID": a.connector_id, "provider": a.provider,
            "reference": a.reference, "createdAt": iso(a.created_at), "type": a.type.value,
            "name": a.name, "defaultAsset": a.default_asset, "metadata": a.metadata,
            "raw": a.raw}


def balance(b: Balance) -> dict[str, Any]:
    return {"accountID": b.account_id, "createdAt": iso(b.created_at),
            "lastUpdatedAt": iso(b.last_updated_at), "asset": b.asset, "balance": b.balance}


def payment(p: Payment) -> dict[str, Any]:
    return {"id": p.id, "connectorID": p.connector_id, "provider": p.provider,
            "reference": p.reference, "createdAt": iso(p.created_at), "type": p.type.value,
            "initialAmount": p.initial_amount, "amount": p.amount, "asset": p.asset,
            "scheme": p.scheme, "status": p.status.value,
            "sourceAccountID": p.source_account_id,
            "destinationAccountID": p.destination_account_id, "metadata": p.metadata,
            "adjustments": [{"id": a.id, "reference": a.reference,
                             "createdAt": iso(a.created_at), "status": a.status.value,
                             "amount": a.amount, "asset": a.asset, "metadata": a.metadata,
                             "raw": a.raw} for a in p.adjustments]}


def task(t: Task) -> dict[str, Any]:
    return {"id": t.id, "status": t.status.value, "createdAt": iso(t.created_at),
            "updatedAt": iso(t.updated_at), "connectorID": t.connector_id,
            "createdObjectID": t.created_object_id, "error": t.error}


def schedule(x: Schedule) -> dict[str, Any]:
    return {"id": x.id, "connectorID": x.connector_id, "createdAt": iso(x.created_at),
            "pausedAt": iso(x.paused_at) if x.paused_at else None,
            "pausedReason": x.paused_reason}


def instance(x: Instance) -> dict[str, Any]:
    return {"id": x.id, "scheduleID": x.schedule_id, "connectorID": x.connector_id,
            "createdAt": iso(x.created_at), "updatedAt": iso(x.updated_at),
            "terminated": x.terminated,
            "terminatedAt": iso(x.terminated_at) if x.terminated_at else None,
            "error": x.error}


def pool(p: Pool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "name": p.name, "createdAt": iso(p.created_at),
                           "type": p.type.value, "poolAccounts": list(p.account_ids)}
    if p.query is not None:
        out["query"] = p.query
    return out


def pool_balance(b: PoolBalance) -> dict[str, Any]:
    return {"asset": b.asset, "amount": b.amount, "relatedAccounts": list(b.related_accounts)}


def bank_account(b: BankAccount) -> dict[str, Any]:
    return {"id": b.id, "createdAt": iso(b.created_at), "name": b.name,
            "accountNumber": b.account_number, "iban": b.iban, "swiftBicCode": b.swift_bic_code,
            "country": b.country, "metadata": b.metadata,
            "relatedAccounts": [{"accountID": r.account_id, "createdAt": iso(r.created_at)}
                                for r in b.related_accounts]}


def order(o: Order) -> dict[str, Any]:
    """V3Order: the event's payload (the same fields) with the adjustments, oldest first."""
    return {**order_payload(o), "adjustments": [
        {"id": a.id, "reference": a.reference, "createdAt": iso(a.created_at),
         "status": a.status.value, "baseQuantityFilled": a.base_quantity_filled,
         "fee": a.fee, "feeAsset": a.fee_asset, "metadata": a.metadata, "raw": a.raw}
        for a in o.adjustments]}


def conversion(c: Conversion) -> dict[str, Any]:
    return conversion_payload(c)
