"""`reconciliation-<id>`: one run of a policy. The ledger's aggregated balances and the pool's
balances are read in parallel (each at its own point in time), the drift is computed by the
pure function of domain/reconciliation/drift.py inside the workflow (so the history shows both
inputs and the result), then stored; the stored result is the workflow's result."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.reconciliation import stubs
    from activities.reconciliation.contracts import LedgerBalancesInput, PoolBalancesInput
    from domain.reconciliation.drift import compute_drift
    from domain.reconciliation.models import Reconciliation
    from workflows import search_attributes
    from workflows.reconciliation.inputs import RUN_WORKFLOW, RunInput


@workflow.defn(name=RUN_WORKFLOW)
class ReconciliationRunWorkflow:
    @workflow.run
    async def run(self, data: RunInput) -> Reconciliation:
        ledger, pool = await asyncio.gather(
            stubs.read_ledger_balances(LedgerBalancesInput(
                ledger=data.ledger, query=data.ledger_query, at=data.at_ledger)),
            stubs.read_pool_balances(PoolBalancesInput(pool_id=data.pool_id,
                                                       at=data.at_payments)))
        drift = compute_drift(ledger.balances, pool.balances)
        result = Reconciliation(
            id=data.reconciliation_id, policy_id=data.policy_id, created_at=workflow.now(),
            reconciled_at_ledger=data.at_ledger, reconciled_at_payments=data.at_payments,
            status=drift.status, ledger_balances=drift.ledger_balances,
            payments_balances=drift.payments_balances, drift_balances=drift.drift_balances,
            error=drift.error)
        await stubs.store_reconciliation(result)
        workflow.upsert_search_attributes([search_attributes.STATUS.value_set(drift.status.value)])
        return result
