"""The rule workflows on the real dev server: the schedule sync, an on-demand evaluation (FAIL,
then ERROR once its pool is gone) and a scheduled one, each findable by rule id (CONFIG_ID),
template kind (KIND) and result (STATUS); a second on-demand evaluation while one runs is a 409.
Records the histories replayed by tests/replay (LEDGERFLOW_RECORD_HISTORIES=1)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from domain.reconciliation.scheduling import EvaluateInput, rule_schedule_id
from storage.database import Database
from tests.integration.reconciliation.books import Books, R, at, eventually, running
from tests.integration.reconciliation.test_rules import drift_rule
from tests.replay.recording import write_history
from workflows.reconciliation.inputs import (
    EVALUATE_WORKFLOW,
    evaluate_workflow_id,
    sync_schedule_workflow_id,
)

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "reconciliation"


async def _record(handle: WorkflowHandle[Any, Any], name: str) -> None:
    if os.environ.get("LEDGERFLOW_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    write_history(HISTORIES / f"{name}.json", history)


async def test_rule_workflows_are_findable_and_recorded(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    client: Client = temporal_env.client
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 900, at(1))
        r = await http.post(f"{R}/rules", json=drift_rule(books, pool, schedule={
            "kind": "cron", "expr": "*/2 * * * * *"}))
        rule = r.json()["data"]["id"]
        await _record(client.get_workflow_handle(sync_schedule_workflow_id(rule)),
                      "sync-rule-schedule")

        r = await http.post(f"{R}/rules/{rule}/evaluate")
        assert r.json()["data"]["result"] == "FAIL"
        await _record(client.get_workflow_handle(evaluate_workflow_id(rule)),
                      "evaluate-on-demand-fail")

        scheduled_query = (f'LedgerflowConfigId = "{rule}" AND LedgerflowKind = '
                           f'"ledger_vs_pool_drift" AND LedgerflowStatus = "FAIL" AND '
                           f'WorkflowId STARTS_WITH "{rule_schedule_id(rule)}-20"')

        async def scheduled() -> list[str]:
            return [w.id async for w in client.list_workflows(scheduled_query)]

        runs = await eventually(scheduled, "a scheduled evaluation in visibility")
        await _record(client.get_workflow_handle(runs[0]), "evaluate-scheduled-fail")
        await http.patch(f"{R}/rules/{rule}", json={"enabled": False})

        # One on-demand evaluation at a time: a run that no worker picks up holds the id.
        blocker = await client.start_workflow(
            EVALUATE_WORKFLOW, EvaluateInput(rule_id=rule), id=evaluate_workflow_id(rule),
            task_queue="reconciliation-nobody-polls")
        await http.patch(f"{R}/rules/{rule}", json={"enabled": True,
                                                    "schedule": {"kind": "on_demand"}})
        r = await http.post(f"{R}/rules/{rule}/evaluate")
        assert (r.status_code, r.json()["errorCode"]) == (409, "CONFLICT"), r.text
        assert "already running" in r.json()["errorMessage"]
        await blocker.terminate(reason="test over")

        assert (await http.delete(f"/api/payments/v3/pools/{pool}")).status_code == 204
        r = await http.post(f"{R}/rules/{rule}/evaluate")
        assert r.json()["data"]["result"] == "ERROR"
        await _record(client.get_workflow_handle(evaluate_workflow_id(rule)),
                      "evaluate-on-demand-error")
