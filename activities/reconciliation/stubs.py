"""How workflows call the reconciliation activities (activities/stub.py sets the shared rules)."""

from __future__ import annotations

from datetime import timedelta

from activities.reconciliation.contracts import (
    LOAD_RULE,
    READ_LEDGER_BALANCES,
    READ_POOL_BALANCES,
    READ_SOURCE,
    STORE_EVALUATION,
    STORE_RECONCILIATION,
    SYNC_RULE_SCHEDULE,
    Balances,
    LedgerBalancesInput,
    LoadedRule,
    PoolBalancesInput,
    ReadSourceInput,
    RuleRef,
    ScheduleState,
    StoreEvaluationInput,
)
from activities.stub import Stub
from domain.reconciliation.evaluations import Evaluation
from domain.reconciliation.models import Reconciliation
from domain.reconciliation.templates import Reading

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

load_rule: Stub[RuleRef, LoadedRule] = Stub(
    LOAD_RULE, LoadedRule, _READ, summary=lambda d: f"read rule {d.rule_id}")
# A split read pages through the matched accounts: longer than one aggregate.
read_source: Stub[ReadSourceInput, Reading] = Stub(
    READ_SOURCE, Reading, timedelta(minutes=5),
    summary=lambda d: f"{d.source.kind.value} {d.source.ledger or d.source.pool_id} at "
                      f"{d.at.isoformat()}")
store_evaluation: Stub[StoreEvaluationInput, Evaluation] = Stub(
    STORE_EVALUATION, Evaluation, _STORE,
    summary=lambda d: f"store the {d.evaluation.result.value} evaluation and its alerts")
sync_rule_schedule: Stub[RuleRef, ScheduleState] = Stub(
    SYNC_RULE_SCHEDULE, ScheduleState, _STORE,
    summary=lambda d: f"match rule {d.rule_id}'s schedule to the rule")
