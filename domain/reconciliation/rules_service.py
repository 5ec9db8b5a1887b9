"""Rules, evaluations and alerts: what the API checks and stores itself. Evaluations run in the
evaluation workflow; here only their request is checked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.errors import ValidationError
from domain.pagination import Page
from domain.payments.durations import parse_go_duration
from domain.reconciliation import inputs
from domain.reconciliation.alerts import Alert, AlertEvent, AlertEventType
from domain.reconciliation.errors import (
    AlertNotFoundError,
    EvaluationNotFoundError,
    RuleDisabledError,
    RuleNotFoundError,
)
from domain.reconciliation.evaluations import Evaluation
from domain.reconciliation.ports import AlertsStore, RulesStore, Sources
from domain.reconciliation.rules import Rule, new_rule, patched_rule
from domain.reconciliation.scheduling import EvaluateInput
from domain.reconciliation.templates import SourceKind, parse_spec


class RulesService:
    def __init__(self, rules: RulesStore, alerts: AlertsStore, sources: Sources) -> None:
        self.rules = rules
        self.alerts = alerts
        self.sources = sources

    async def create(self, body: Any) -> Rule:
        rule = new_rule(body)
        await self._check_sources(rule)
        await self.rules.create_rule(rule)
        return rule

    async def get(self, rule_id: str) -> Rule:
        rule = await self.rules.get_rule(rule_id)
        if rule is None:
            raise RuleNotFoundError(rule_id)
        return rule

    async def list(self, filters: dict[str, str], offset: int, size: int) -> Page[Rule]:
        return await self.rules.list_rules(filters, offset, size)

    async def patch(self, rule_id: str, body: Any) -> Rule:
        current = await self.get(rule_id)
        rule = patched_rule(current, body)
        # Only a changed spec is checked: a rule whose pool is gone can still be disabled.
        if (rule.template_kind, rule.template_spec) != (current.template_kind,
                                                        current.template_spec):
            await self._check_sources(rule)
        if not await self.rules.update_rule(rule):
            raise RuleNotFoundError(rule_id)
        return rule

    async def delete(self, rule_id: str) -> None:
        if not await self.rules.delete_rule(rule_id):
            raise RuleNotFoundError(rule_id)

    async def evaluate_request(self, rule_id: str, body: Any) -> tuple[Rule, EvaluateInput]:
        rule = await self.get(rule_id)
        if not rule.enabled:
            raise RuleDisabledError(rule_id)
        body = {} if body is None else inputs.body_object(body, "{at?, safetyMargin?, "
                                                                "sourcePITs?}")
        now = datetime.now(UTC)
        at = inputs.past_time(body["at"], "at", now) if body.get("at") is not None else None
        margin = None
        if body.get("safetyMargin") is not None:
            margin = parse_go_duration(inputs.go_duration(body["safetyMargin"],
                                                          "safetyMargin")).total_seconds()
        pits = body.get("sourcePITs") or {}
        if not isinstance(pits, dict):
            raise ValidationError("sourcePITs must be an object of source name to time")
        names = parse_spec(rule.template_kind, rule.template_spec)
        unknown = sorted(set(pits) - set(names))
        if unknown:
            raise ValidationError(f"sourcePITs: unknown sources {', '.join(unknown)}; this "
                                  f"rule reads {', '.join(names)}")
        source_pits = {k: inputs.past_time(v, f"sourcePITs.{k}", now) for k, v in pits.items()}
        return rule, EvaluateInput(rule_id=rule.id, at=at, safety_margin_seconds=margin,
                                   source_pits=source_pits)

    async def _check_sources(self, rule: Rule) -> None:
        for source in parse_spec(rule.template_kind, rule.template_spec).values():
            if source.kind is SourceKind.POOL:
                assert source.pool_id is not None
                await self.sources.check_pool(source.pool_id)
            else:
                assert source.ledger is not None
                await self.sources.check_ledger(source.ledger)

    # --- evaluations and alerts -----------------------------------------------------------------

    async def evaluation(self, evaluation_id: str) -> Evaluation:
        found = await self.alerts.get_evaluation(evaluation_id)
        if found is None:
            raise EvaluationNotFoundError(evaluation_id)
        return found

    async def evaluations(self, filters: dict[str, str], offset: int, size: int
                          ) -> Page[Evaluation]:
        return await self.alerts.list_evaluations(filters, offset, size)

    async def alert(self, alert_id: str) -> Alert:
        found = await self.alerts.get_alert(alert_id)
        if found is None:
            raise AlertNotFoundError(alert_id)
        return found

    async def alert_list(self, filters: dict[str, str], offset: int, size: int
                         ) -> Page[Alert]:
        return await self.alerts.list_alerts(filters, offset, size)

    async def alert_events(self, alert_id: str, offset: int, size: int) -> Page[AlertEvent]:
        await self.alert(alert_id)
        return await self.alerts.alert_events(alert_id, offset, size)

    async def act(self, alert_id: str, action: AlertEventType, body: Any) -> Alert:
        return await self.alerts.act(alert_id, action, body, datetime.now(UTC))
