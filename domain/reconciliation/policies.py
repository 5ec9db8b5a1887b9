"""Policies and their runs: what the API checks and stores itself. The run is computed by the
run workflow (workflows/reconciliation/run.py); here only its request is checked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.pagination import Page
from domain.reconciliation import inputs
from domain.reconciliation.errors import PolicyNotFoundError, ReconciliationNotFoundError
from domain.reconciliation.models import Policy, Reconciliation
from domain.reconciliation.ports import PoliciesStore, Sources


@dataclass(frozen=True)
class RunRequest:
    policy: Policy
    at_ledger: datetime
    at_payments: datetime


class PoliciesService:
    def __init__(self, store: PoliciesStore, sources: Sources) -> None:
        self.store = store
        self.sources = sources

    async def create(self, body: Any) -> Policy:
        body = inputs.body_object(body, "a policy")
        name = inputs.text(body, "name")
        ledger = inputs.text(body, "ledgerName")
        pool = inputs.text(body, "paymentsPoolID")
        query = inputs.ledger_query(body.get("ledgerQuery"))
        assert name is not None and ledger is not None and pool is not None
        # Checked now so that a typo is refused here rather than failing every run.
        await self.sources.check_ledger(ledger)
        await self.sources.check_pool(pool)
        policy = Policy(id=str(uuid.uuid4()), name=name, created_at=datetime.now(UTC),
                        ledger_name=ledger, ledger_query=query, payments_pool_id=pool)
        await self.store.create_policy(policy)
        return policy

    async def get(self, policy_id: str) -> Policy:
        policy = await self.store.get_policy(policy_id)
        if policy is None:
            raise PolicyNotFoundError(policy_id)
        return policy

    async def list(self, offset: int, size: int) -> Page[Policy]:
        return await self.store.list_policies(offset, size)

    async def delete(self, policy_id: str) -> None:
        if not await self.store.delete_policy(policy_id):
            raise PolicyNotFoundError(policy_id)

    async def run_request(self, policy_id: str, body: Any) -> RunRequest:
        policy = await self.get(policy_id)
        body = inputs.body_object(body, "reconciledAtLedger and reconciledAtPayments")
        now = datetime.now(UTC)
        return RunRequest(
            policy=policy,
            at_ledger=inputs.past_time(body.get("reconciledAtLedger"), "reconciledAtLedger",
                                       now),
            at_payments=inputs.past_time(body.get("reconciledAtPayments"),
                                         "reconciledAtPayments", now))

    async def reconciliation(self, run_id: str) -> Reconciliation:
        run = await self.store.get_reconciliation(run_id)
        if run is None:
            raise ReconciliationNotFoundError(run_id)
        return run

    async def reconciliations(self, offset: int, size: int) -> Page[Reconciliation]:
        return await self.store.list_reconciliations(offset, size)
