"""Evaluations, and the alerts they open, update and resolve, with each alert's timeline: an
evaluation and every alert change it makes are stored in one transaction (with their outbox
events), so a retried store activity, or two evaluations of one rule at once, never count a
failure twice nor open two alerts for one case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.pagination import Page
from domain.reconciliation.alerts import (
    Alert,
    AlertEvent,
    AlertEventType,
    AlertStatus,
    Case,
    Change,
    act,
    on_outcome,
)
from domain.reconciliation.errors import AlertNotFoundError
from domain.reconciliation.evaluations import Evaluation, EvaluationResult
from domain.reconciliation.templates import Outcome
from storage.database import Database
from storage.reconciliation.common import emit, matching, page
from storage.reconciliation.tables import reconciliation_alert_events as events
from storage.reconciliation.tables import reconciliation_alerts as alerts
from storage.reconciliation.tables import reconciliation_evaluations as evaluations

EVALUATION_FILTERS = {"ruleID": "rule_id", "result": "result"}
ALERT_FILTERS = {"ruleID": "rule_id", "status": "status", "severity": "severity",
                 "fingerprint": "fingerprint", "periodID": "period_id"}


class PgAlertsStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # --- evaluations ----------------------------------------------------------------------------

    async def save_evaluation(self, evaluation: Evaluation, outcomes: Sequence[Outcome],
                              case: Case) -> Evaluation:
        """Stores the evaluation and applies its outcomes to the alerts of its period; a second
        call with the same evaluation id returns what the first stored."""
        async with self.database.transaction() as conn:
            inserted = (await conn.execute(pg_insert(evaluations).values(
                id=evaluation.id, rule_id=evaluation.rule_id, result=evaluation.result.value,
                started_at=evaluation.started_at, ended_at=evaluation.ended_at,
                created_at=evaluation.created_at, evidence=evaluation.evidence,
                pit_per_source={k: v.isoformat() for k, v in
                                evaluation.pit_per_source.items()},
                cost_units=evaluation.cost_units, error=evaluation.error,
            ).on_conflict_do_nothing().returning(evaluations.c.id))).first()
            if inserted is None:
                row = (await conn.execute(select(evaluations).where(
                    evaluations.c.id == evaluation.id))).one()
                return _evaluation(row)
            if evaluation.result is not EvaluationResult.ERROR:
                for outcome in outcomes:
                    await _apply(conn, outcome, case)
        return evaluation

    async def get_evaluation(self, evaluation_id: str) -> Evaluation | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(evaluations).where(
                evaluations.c.id == evaluation_id))).first()
        return _evaluation(row) if row is not None else None

    async def list_evaluations(self, filters: dict[str, str], offset: int, size: int
                               ) -> Page[Evaluation]:
        return await page(self.database, evaluations,
                          matching(evaluations, filters, EVALUATION_FILTERS), offset, size,
                          _evaluation)

    # --- alerts ---------------------------------------------------------------------------------

    async def get_alert(self, alert_id: str) -> Alert | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(alerts).where(alerts.c.id == alert_id))).first()
        return _alert(row) if row is not None else None

    async def list_alerts(self, filters: dict[str, str], offset: int, size: int
                          ) -> Page[Alert]:
        return await page(self.database, alerts, matching(alerts, filters, ALERT_FILTERS),
                          offset, size, _alert)

    async def alert_events(self, alert_id: str, offset: int, size: int) -> Page[AlertEvent]:
        """The timeline, oldest first (append-only)."""
        stmt = (select(events).where(events.c.alert_id == alert_id).order_by(events.c.seq)
                .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return Page(data=[_event(r) for r in rows[:size]], page_size=size,
                    has_more=len(rows) > size)

    async def act(self, alert_id: str, action: AlertEventType, body: Any, now: datetime
                  ) -> Alert:
        async with self.database.transaction() as conn:
            row = (await conn.execute(select(alerts).where(alerts.c.id == alert_id)
                                      .with_for_update())).first()
            if row is None:
                raise AlertNotFoundError(alert_id)
            change = act(_alert(row), action, body, now)
            await _save(conn, change, new=False)
            return change[0]


async def _apply(conn: AsyncConnection, outcome: Outcome, case: Case) -> None:
    key = (alerts.c.rule_id == case.rule_id, alerts.c.fingerprint == outcome.fingerprint,
           alerts.c.period_id == case.period_id)
    for _ in range(2):
        row = (await conn.execute(select(alerts).where(*key).with_for_update())).first()
        current = _alert(row) if row is not None else None
        change = on_outcome(current, outcome, case)
        if change is None:
            return
        if await _save(conn, change, new=current is None):
            return
        # Another evaluation opened this alert meanwhile: apply ours to it.
    raise RuntimeError(f"alert of rule {case.rule_id} fingerprint {outcome.fingerprint} "
                       "kept changing under the evaluation")


async def _save(conn: AsyncConnection, change: Change, *, new: bool) -> bool:
    alert, event = change
    values = {"status": alert.status.value, "severity": alert.severity,
              "first_seen_at": alert.first_seen_at, "last_seen_at": alert.last_seen_at,
              "occurrence_count": alert.occurrence_count,
              "last_evaluation_id": alert.last_evaluation_id, "evidence": alert.evidence,
              "labels": alert.labels, "ack": alert.ack, "resolution": alert.resolution,
              "snooze": alert.snooze, "updated_at": alert.updated_at}
    if new:
        created = (await conn.execute(pg_insert(alerts).values(
            id=alert.id, rule_id=alert.rule_id, fingerprint=alert.fingerprint,
            period_id=alert.period_id, created_at=alert.created_at, **values)
            .on_conflict_do_nothing().returning(alerts.c.id))).first()
        if created is None:
            return False
    else:
        await conn.execute(update(alerts).where(alerts.c.id == alert.id).values(**values))
    await conn.execute(insert(events).values(
        id=event.id, alert_id=event.alert_id, type=event.type.value, at=event.at,
        prev_status=event.prev_status.value if event.prev_status else None,
        new_status=event.new_status.value, is_reopen=event.is_reopen, notify=event.notify,
        evaluation_id=event.evaluation_id, payload=event.payload))
    if event.published is not None:
        await emit(conn, event.published, {"alert": alert.view(), "event": event.view()})
    return True


def _evaluation(row: Any) -> Evaluation:
    return Evaluation(id=row.id, rule_id=row.rule_id, result=EvaluationResult(row.result),
                      started_at=row.started_at, ended_at=row.ended_at,
                      created_at=row.created_at, evidence=row.evidence,
                      pit_per_source=row.pit_per_source, cost_units=row.cost_units,
                      error=row.error)


def _alert(row: Any) -> Alert:
    return Alert(id=row.id, rule_id=row.rule_id, fingerprint=row.fingerprint,
                 period_id=row.period_id, severity=row.severity,
                 status=AlertStatus(row.status), first_seen_at=row.first_seen_at,
                 last_seen_at=row.last_seen_at, occurrence_count=row.occurrence_count,
                 last_evaluation_id=row.last_evaluation_id, evidence=row.evidence,
                 labels=row.labels, ack=row.ack, resolution=row.resolution, snooze=row.snooze,
                 created_at=row.created_at, updated_at=row.updated_at)


def _event(row: Any) -> AlertEvent:
    return AlertEvent(id=row.id, alert_id=row.alert_id, type=AlertEventType(row.type),
                      at=row.at, prev_status=AlertStatus(row.prev_status)
                      if row.prev_status else None, new_status=AlertStatus(row.new_status),
                      is_reopen=row.is_reopen, notify=row.notify,
                      evaluation_id=row.evaluation_id, payload=row.payload, published=None)
