"""Formance payments events (stack/events: SAVED_ACCOUNT, SAVED_BALANCE, SAVED_PAYMENT, ...):
their types and payloads, written to the outbox in the transaction that saves the object."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from domain.payments.models import (
    Account,
    Balance,
    BankAccount,
    Conversion,
    Order,
    Payment,
    Pool,
    Task,
)

APP = "payments"


class EventType(StrEnum):
    SAVED_ACCOUNT = "SAVED_ACCOUNT"
    SAVED_BALANCE = "SAVED_BALANCE"
    SAVED_PAYMENT = "SAVED_PAYMENT"
    SAVED_ORDER = "SAVED_ORDER"
    SAVED_CONVERSION = "SAVED_CONVERSION"
    SAVED_POOL = "SAVED_POOL"
    SAVED_BANK_ACCOUNT = "SAVED_BANK_ACCOUNT"
    DELETED_POOL = "DELETED_POOL"
    CONNECTOR_RESET = "CONNECTOR_RESET"
    UPDATED_TASK = "UPDATED_TASK"
    SAVED_PAYMENT_INITIATION = "SAVED_PAYMENT_INITIATION"
    SAVED_PAYMENT_INITIATION_ADJUSTMENT = "SAVED_PAYMENT_INITIATION_ADJUSTMENT"
    SAVED_PAYMENT_INITIATION_RELATED_PAYMENT = "SAVED_PAYMENT_INITIATION_RELATED_PAYMENT"
    OPEN_BANKING_USER_LINK_STATUS = "OPEN_BANKING_USER_LINK_STATUS"
    OPEN_BANKING_USER_DISCONNECTED = "OPEN_BANKING_USER_DISCONNECTED"
    OPEN_BANKING_USER_CONNECTION_DISCONNECTED = "OPEN_BANKING_USER_CONNECTION_DISCONNECTED"


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def account_payload(a: Account) -> dict[str, Any]:
    return {"id": a.id, "provider": a.provider, "connectorID": a.connector_id,
            "createdAt": iso(a.created_at), "reference": a.reference, "type": a.type.value,
            "defaultAsset": a.default_asset, "name": a.name, "metadata": a.metadata,
            "rawData": a.raw}


def balance_payload(b: Balance, connector_id: str, provider: str) -> dict[str, Any]:
    return {"accountID": b.account_id, "connectorID": connector_id, "provider": provider,
            "createdAt": iso(b.created_at), "lastUpdatedAt": iso(b.last_updated_at),
            "asset": b.asset, "balance": b.balance}


def payment_payload(p: Payment) -> dict[str, Any]:
    return {"id": p.id, "connectorID": p.connector_id, "provider": p.provider,
            "reference": p.reference, "createdAt": iso(p.created_at), "type": p.type.value,
            "status": p.status.value, "scheme": p.scheme, "asset": p.asset,
            "initialAmount": p.initial_amount, "amount": p.amount,
            "sourceAccountID": p.source_account_id,
            "destinationAccountID": p.destination_account_id, "metadata": p.metadata}


def task_payload(t: Task) -> dict[str, Any]:
    return {"id": t.id, "connectorID": t.connector_id, "status": t.status.value,
            "createdAt": iso(t.created_at), "updatedAt": iso(t.updated_at),
            "createdObjectID": t.created_object_id, "error": t.error}


def pool_payload(p: Pool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "name": p.name, "createdAt": iso(p.created_at),
                           "type": p.type.value, "accountIDs": list(p.account_ids)}
    if p.query is not None:
        out["query"] = p.query
    return out


def bank_account_payload(b: BankAccount) -> dict[str, Any]:
    return {"id": b.id, "createdAt": iso(b.created_at), "name": b.name,
            "accountNumber": b.account_number, "iban": b.iban, "swiftBicCode": b.swift_bic_code,
            "country": b.country, "metadata": b.metadata,
            "relatedAccounts": [{"accountID": r.account_id, "connectorID": r.connector_id,
                                 "createdAt": iso(r.created_at)}
                                for r in b.related_accounts]}


def _opt_iso(when: datetime | None) -> str | None:
    return iso(when) if when is not None else None


def order_payload(o: Order) -> dict[str, Any]:
    """The order as the API shows it, without its adjustments (one event per saved state)."""
    return {"id": o.id, "connectorID": o.connector_id, "provider": o.provider,
            "reference": o.reference, "clientOrderID": o.client_order_id,
            "createdAt": iso(o.created_at), "updatedAt": iso(o.updated_at),
            "direction": o.direction.value, "sourceAsset": o.source_asset,
            "destinationAsset": o.destination_asset, "type": o.type.value,
            "status": o.status.value, "baseQuantityOrdered": o.base_quantity_ordered,
            "baseQuantityFilled": o.base_quantity_filled, "limitPrice": o.limit_price,
            "stopPrice": o.stop_price, "timeInForce": o.time_in_force.value,
            "expiresAt": _opt_iso(o.expires_at), "fee": o.fee, "feeAsset": o.fee_asset,
            "averageFillPrice": o.average_fill_price, "quoteAmount": o.quote_amount,
            "quoteAsset": o.quote_asset, "priceAsset": o.price_asset,
            "sourceAccountID": o.source_account_id,
            "destinationAccountID": o.destination_account_id, "metadata": o.metadata,
            "error": o.error}


def conversion_payload(c: Conversion) -> dict[str, Any]:
    return {"id": c.id, "connectorID": c.connector_id, "provider": c.provider,
            "reference": c.reference, "createdAt": iso(c.created_at),
            "updatedAt": iso(c.updated_at), "sourceAsset": c.source_asset,
            "destinationAsset": c.destination_asset, "sourceAmount": c.source_amount,
            "destinationAmount": c.destination_amount, "fee": c.fee, "feeAsset": c.fee_asset,
            "status": c.status.value, "sourceAccountID": c.source_account_id,
            "destinationAccountID": c.destination_account_id, "metadata": c.metadata,
            "error": c.error}
