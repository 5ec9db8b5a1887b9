"""The alerts store under concurrency (real PostgreSQL): two evaluations of one rule failing on
the same case at once open one alert that counts both; storing an evaluation again (a retried
activity) changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from domain.reconciliation.alerts import Case
from domain.reconciliation.evaluations import Evaluation, EvaluationResult
from domain.reconciliation.templates import Outcome, TemplateKind, fingerprint
from storage.database import Database
from storage.reconciliation.alerts_store import PgAlertsStore

RULE = "rule-1"


def _failing(drift: int) -> tuple[Evaluation, list[Outcome], Case]:
    now = datetime.now(UTC)
    outcome = Outcome(fingerprint=fingerprint(TemplateKind.LEDGER_VS_POOL_DRIFT, "USD/2"),
                      asset="USD/2", passed=False, proof={"ledger": "-1", "pool": "0"},
                      evidence={"asset": "USD/2", "drift": drift})
    evaluation = Evaluation(id=str(uuid.uuid4()), rule_id=RULE, result=EvaluationResult.FAIL,
                            started_at=now, ended_at=now, created_at=now,
                            evidence=[outcome.entry()], pit_per_source={"ledger": now})
    case = Case(rule_id=RULE, severity="high", labels={}, period_id="continuous",
                evaluation_id=evaluation.id, now=now)
    return evaluation, [outcome], case


async def _count(database: Database, sql: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_concurrent_failures_open_one_alert_and_count_both(database: Database) -> None:
    store = PgAlertsStore(database)
    first, second = _failing(1), _failing(2)
    await asyncio.gather(store.save_evaluation(*first), store.save_evaluation(*second))
    assert await _count(database, "SELECT count(*) FROM reconciliation_alerts") == 1
    assert await _count(database, "SELECT occurrence_count FROM reconciliation_alerts") == 2
    assert await _count(database, "SELECT count(*) FROM reconciliation_alert_events") == 2

    # The store activity retried: the evaluation is already there, nothing counted again.
    again = await store.save_evaluation(*first)
    assert again.id == first[0].id
    assert await _count(database, "SELECT occurrence_count FROM reconciliation_alerts") == 2
    assert await _count(database, "SELECT count(*) FROM reconciliation_evaluations") == 2
