"""How workflows call the reconciliation activities (activities/stub.py sets the shared rules)."""

from __future__ import annotations

from datetime import timedelta

from activities.reconciliation.contracts import (
    READ_LEDGER_BALANCES,
    READ_POOL_BALANCES,
    STORE_RECONCILIATION,
    Balances,
    LedgerBalancesInput,
    PoolBalancesInput,
)
from activities.stub import Stub
from domain.reconciliation.models import Reconciliation

# One aggregate query each, or one insert: quick; infrastructure failures retried (each is a
# read, or an insert idempotent by its id). A missing ledger or pool is final.
_READ = timedelta(seconds=30)
_STORE = timedelta(seconds=30)

read_ledger_balances: Stub[LedgerBalancesInput, Balances] = Stub(
    READ_LEDGER_BALANCES, Balances, _READ,
    summary=lambda d: f"ledger {d.ledger} at {d.at.isoformat()}")
read_pool_balances: Stub[PoolBalancesInput, Balances] = Stub(
    READ_POOL_BALANCES, Balances, _READ,
    summary=lambda d: f"pool {d.pool_id} at {d.at.isoformat()}")
store_reconciliation: Stub[Reconciliation, None] = Stub(
    STORE_RECONCILIATION, None, _STORE, summary=lambda d: f"store the {d.status.value} result")
