"""The v3 JSON shapes of payment initiations (V3PaymentInitiation,
V3PaymentInitiationAdjustment in the spec)."""

from __future__ import annotations

from typing import Any

from domain.payments.events import iso
from domain.payments.initiation_events import ZERO_TIME
from domain.payments.initiations import InitiationAdjustment, PaymentInitiation


def initiation(p: PaymentInitiation) -> dict[str, Any]:
    return {"id": p.id, "connectorID": p.connector_id, "provider": p.provider,
            "reference": p.reference, "createdAt": iso(p.created_at),
            "scheduledAt": iso(p.scheduled_at) if p.scheduled_at else ZERO_TIME,
            "description": p.description, "type": p.type.value, "amount": p.amount,
            "asset": p.asset, "status": p.status.value,
            "sourceAccountID": p.source_account_id,
            "destinationAccountID": p.destination_account_id, "error": p.error,
            "metadata": p.metadata}


def adjustment(a: InitiationAdjustment) -> dict[str, Any]:
    return {"id": a.id, "createdAt": iso(a.created_at), "status": a.status.value,
            "amount": a.amount, "asset": a.asset, "error": a.error, "metadata": a.metadata}
