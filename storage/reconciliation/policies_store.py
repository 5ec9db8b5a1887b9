"""Policies and runs (domain/reconciliation/ports.py PoliciesStore)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from domain.pagination import Page
from domain.reconciliation import views
from domain.reconciliation.events import EventType
from domain.reconciliation.models import Policy, Reconciliation, ReconciliationStatus
from storage.database import Database
from storage.reconciliation.common import emit, page
from storage.reconciliation.tables import reconciliation_policies, reconciliation_runs


class PgPoliciesStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_policy(self, policy: Policy) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(reconciliation_policies).values(
                id=policy.id, name=policy.name, created_at=policy.created_at,
                ledger_name=policy.ledger_name, ledger_query=policy.ledger_query,
                payments_pool_id=policy.payments_pool_id))

    async def get_policy(self, policy_id: str) -> Policy | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(reconciliation_policies).where(
                reconciliation_policies.c.id == policy_id))).first()
        return _policy(row) if row is not None else None

    async def list_policies(self, offset: int, size: int) -> Page[Policy]:
        return await page(self.database, reconciliation_policies,
                          select(reconciliation_policies), offset, size, _policy)

    async def delete_policy(self, policy_id: str) -> bool:
        async with self.database.transaction() as conn:
            result = await conn.execute(delete(reconciliation_policies).where(
                reconciliation_policies.c.id == policy_id))
        return bool(result.rowcount)

    async def save_reconciliation(self, run: Reconciliation) -> None:
        """Idempotent by run id: a retried store activity writes nothing twice."""
        async with self.database.transaction() as conn:
            exists = (await conn.execute(select(reconciliation_runs.c.id).where(
                reconciliation_runs.c.id == run.id).with_for_update())).first()
            if exists is not None:
                return
            await conn.execute(insert(reconciliation_runs).values(
                id=run.id, policy_id=run.policy_id, created_at=run.created_at,
                reconciled_at_ledger=run.reconciled_at_ledger,
                reconciled_at_payments=run.reconciled_at_payments, status=run.status.value,
                ledger_balances=run.ledger_balances, payments_balances=run.payments_balances,
                drift_balances=run.drift_balances, error=run.error))
            await emit(conn, EventType.SAVED_RECONCILIATION, views.reconciliation(run))

    async def get_reconciliation(self, run_id: str) -> Reconciliation | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(reconciliation_runs).where(
                reconciliation_runs.c.id == run_id))).first()
        return _run(row) if row is not None else None

    async def list_reconciliations(self, offset: int, size: int) -> Page[Reconciliation]:
        return await page(self.database, reconciliation_runs, select(reconciliation_runs),
                          offset, size, _run)


def _policy(row: Any) -> Policy:
    return Policy(id=row.id, name=row.name, created_at=row.created_at,
                  ledger_name=row.ledger_name, ledger_query=row.ledger_query,
                  payments_pool_id=row.payments_pool_id)


def _run(row: Any) -> Reconciliation:
    return Reconciliation(
        id=row.id, policy_id=row.policy_id, created_at=row.created_at,
        reconciled_at_ledger=row.reconciled_at_ledger,
        reconciled_at_payments=row.reconciled_at_payments,
        status=ReconciliationStatus(row.status), ledger_balances=row.ledger_balances,
        payments_balances=row.payments_balances, drift_balances=row.drift_balances,
        error=row.error)
