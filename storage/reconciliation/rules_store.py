"""Rules (domain/reconciliation/rules.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from domain.pagination import Page
from domain.reconciliation.periods import Cadence
from domain.reconciliation.rules import Rule, RuleSchedule, Severity
from domain.reconciliation.templates import TemplateKind
from storage.database import Database
from storage.reconciliation.common import matching, page
from storage.reconciliation.tables import reconciliation_rules as rules

RULE_FILTERS = {"templateKind": "template_kind", "severity": "severity", "cadence": "cadence"}


class PgRulesStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_rule(self, rule: Rule) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(rules).values(**_values(rule), id=rule.id,
                                                    created_at=rule.created_at))

    async def update_rule(self, rule: Rule) -> bool:
        async with self.database.transaction() as conn:
            result = await conn.execute(update(rules).where(rules.c.id == rule.id)
                                        .values(**_values(rule)))
        return bool(result.rowcount)

    async def get_rule(self, rule_id: str) -> Rule | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(rules).where(rules.c.id == rule_id))).first()
        return _rule(row) if row is not None else None

    async def list_rules(self, filters: dict[str, str], offset: int, size: int) -> Page[Rule]:
        return await page(self.database, rules, matching(rules, filters, RULE_FILTERS), offset,
                          size, _rule)

    async def delete_rule(self, rule_id: str) -> bool:
        async with self.database.transaction() as conn:
            result = await conn.execute(delete(rules).where(rules.c.id == rule_id))
        return bool(result.rowcount)


def _values(rule: Rule) -> dict[str, Any]:
    return {"name": rule.name, "template_kind": rule.template_kind.value,
            "template_spec": rule.template_spec, "severity": rule.severity.value,
            "enabled": rule.enabled, "cadence": rule.cadence.value,
            "schedule": rule.schedule.model_dump(mode="json") if rule.schedule else None,
            "labels": rule.labels, "notifications": rule.notifications,
            "explanation_cel": rule.explanation_cel, "updated_at": rule.updated_at}


def _rule(row: Any) -> Rule:
    return Rule(id=row.id, name=row.name, template_kind=TemplateKind(row.template_kind),
                template_spec=row.template_spec, severity=Severity(row.severity),
                enabled=row.enabled, cadence=Cadence(row.cadence),
                schedule=RuleSchedule.model_validate(row.schedule) if row.schedule else None,
                labels=row.labels, notifications=row.notifications,
                explanation_cel=row.explanation_cel, created_at=row.created_at,
                updated_at=row.updated_at)
