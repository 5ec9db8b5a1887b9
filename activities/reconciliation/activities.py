"""The reconciliation activities: balances read through the ledger's and payments' own read
functions, results stored with their outbox event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.defn import activity_defn
from activities.reconciliation.contracts import (
    READ_LEDGER_BALANCES,
    READ_POOL_BALANCES,
    STORE_RECONCILIATION,
    Balances,
    LedgerBalancesInput,
    PoolBalancesInput,
)
from domain.reconciliation.models import Reconciliation
from domain.reconciliation.ports import PoliciesStore, Sources


class ReconciliationActivities:
    def __init__(self, sources: Sources, policies: PoliciesStore) -> None:
        self.sources = sources
        self.policies = policies

    @activity_defn(READ_LEDGER_BALANCES)
    async def read_ledger_balances(self, data: LedgerBalancesInput) -> Balances:
        return Balances(balances=await self.sources.ledger_balances(data.ledger, data.query,
                                                                    data.at))

    @activity_defn(READ_POOL_BALANCES)
    async def read_pool_balances(self, data: PoolBalancesInput) -> Balances:
        return Balances(balances=await self.sources.pool_balances(data.pool_id, data.at))

    @activity_defn(STORE_RECONCILIATION)
    async def store_reconciliation(self, data: Reconciliation) -> None:
        await self.policies.save_reconciliation(data)

    def all(self) -> list[Callable[..., Any]]:
        return [self.read_ledger_balances, self.read_pool_balances, self.store_reconciliation]
