"""The reconciliation activities: balances read through the ledger's and payments' own read
functions, runs and evaluations stored (an evaluation with the alert changes it makes), and a
rule's Temporal Schedule kept in line with the rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from activities.defn import activity_defn
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
from activities.reconciliation.schedules import ScheduleTarget, sync_schedule
from domain.reconciliation.alerts import Case
from domain.reconciliation.evaluations import Evaluation
from domain.reconciliation.models import Reconciliation
from domain.reconciliation.periods import period_id
from domain.reconciliation.ports import AlertsStore, PoliciesStore, RulesStore, Sources
from domain.reconciliation.templates import Reading, SourceKind


class ReconciliationActivities:
    def __init__(self, sources: Sources, policies: PoliciesStore, rules: RulesStore,
                 alerts: AlertsStore, target: ScheduleTarget) -> None:
        self.sources = sources
        self.policies = policies
        self.rules = rules
        self.alerts = alerts
        self.target = target

    # --- runs ---------------------------------------------------------------------------------

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

    # --- rules --------------------------------------------------------------------------------

    @activity_defn(LOAD_RULE)
    async def load_rule(self, data: RuleRef) -> LoadedRule:
        return LoadedRule(rule=await self.rules.get_rule(data.rule_id))

    @activity_defn(READ_SOURCE)
    async def read_source(self, data: ReadSourceInput) -> Reading:
        source = data.source
        if source.kind is SourceKind.POOL:
            assert source.pool_id is not None
            return Reading(balances=await self.sources.pool_balances(source.pool_id, data.at))
        assert source.ledger is not None
        if source.kind is SourceKind.LEDGER:
            return Reading(balances=await self.sources.ledger_balances(
                source.ledger, source.query, data.at))
        positive, negative = await self.sources.ledger_split(source.ledger, source.query,
                                                             data.at)
        assets = set(positive) | set(negative)
        return Reading(balances={a: positive.get(a, 0) + negative.get(a, 0) for a in assets},
                       positive=positive, negative=negative)

    @activity_defn(STORE_EVALUATION)
    async def store_evaluation(self, data: StoreEvaluationInput) -> Evaluation:
        now = datetime.now(UTC)
        evaluation = data.evaluation.model_copy(update={"created_at": now})
        case = Case(rule_id=evaluation.rule_id, severity=data.severity, labels=data.labels,
                    period_id=period_id(data.cadence, data.at, data.tz),
                    evaluation_id=evaluation.id, now=now)
        return await self.alerts.save_evaluation(evaluation, data.outcomes, case)

    @activity_defn(SYNC_RULE_SCHEDULE)
    async def sync_rule_schedule(self, data: RuleRef) -> ScheduleState:
        rule = await self.rules.get_rule(data.rule_id)
        return ScheduleState(state=await sync_schedule(rule, data.rule_id, self.target))

    def all(self) -> list[Callable[..., Any]]:
        return [self.read_ledger_balances, self.read_pool_balances, self.store_reconciliation,
                self.load_rule, self.read_source, self.store_evaluation,
                self.sync_rule_schedule]
