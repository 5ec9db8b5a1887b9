"""The Formance JSON of reconciliation objects, shared by the API and the outbox events."""

from __future__ import annotations

from typing import Any

from domain.ledger.hashing import format_time
from domain.reconciliation.models import Policy, Reconciliation


def policy(p: Policy) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "createdAt": format_time(p.created_at),
            "ledgerName": p.ledger_name, "ledgerQuery": p.ledger_query,
            "paymentsPoolID": p.payments_pool_id}


def reconciliation(r: Reconciliation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id, "policyID": r.policy_id, "createdAt": format_time(r.created_at),
        "reconciledAtLedger": format_time(r.reconciled_at_ledger),
        "reconciledAtPayments": format_time(r.reconciled_at_payments),
        "status": r.status.value, "ledgerBalances": r.ledger_balances,
        "paymentsBalances": r.payments_balances, "driftBalances": r.drift_balances,
    }
    if r.error:
        out["error"] = r.error
    return out
