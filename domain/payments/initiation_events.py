"""The payloads of the payment initiation events (Formance's SAVED_PAYMENT_INITIATION,
SAVED_PAYMENT_INITIATION_ADJUSTMENT, SAVED_PAYMENT_INITIATION_RELATED_PAYMENT), written to the
outbox in the transaction that saves the object."""

from __future__ import annotations

from typing import Any

from domain.payments.events import iso
from domain.payments.initiations import InitiationAdjustment, PaymentInitiation

# Go's zero time: what Formance shows for an initiation without a schedule.
ZERO_TIME = "0001-01-01T00:00:00Z"


def initiation_payload(p: PaymentInitiation) -> dict[str, Any]:
    return {"id": p.id, "connectorID": p.connector_id, "provider": p.provider,
            "reference": p.reference, "createdAt": iso(p.created_at),
            "scheduledAt": iso(p.scheduled_at) if p.scheduled_at else ZERO_TIME,
            "description": p.description, "type": p.type.value, "amount": p.amount,
            "asset": p.asset, "sourceAccountID": p.source_account_id,
            "destinationAccountID": p.destination_account_id, "metadata": p.metadata}


def adjustment_payload(a: InitiationAdjustment) -> dict[str, Any]:
    return {"id": a.id, "paymentInitiationID": a.initiation_id, "createdAt": iso(a.created_at),
            "status": a.status.value, "amount": a.amount, "asset": a.asset, "error": a.error,
            "metadata": a.metadata}


def related_payment_payload(initiation_id: str, payment_id: str, provider: str,
                            connector_id: str) -> dict[str, Any]:
    return {"paymentInitiationID": initiation_id, "paymentID": payment_id,
            "provider": provider, "connectorID": connector_id}
