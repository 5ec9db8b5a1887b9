"""The run workflow `reconciliation-<id>` on the real dev server: its two reads run in parallel
(both scheduled before either completes), the drift is in its result and stored, the workflow is
findable by policy id (CONFIG_ID), kind and final status, and a refused read fails the run with
the business code, not retried. Records the histories replayed by tests/replay
(LEDGERFLOW_RECORD_HISTORIES=1)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from storage.database import Database
from tests.integration.reconciliation.books import Books, R, at, eventually, iso, running
from tests.replay.recording import write_history
from workflows.reconciliation.inputs import run_workflow_id

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "reconciliation"


async def _record(handle: WorkflowHandle[Any, Any], name: str) -> None:
    if os.environ.get("LEDGERFLOW_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    write_history(HISTORIES / f"{name}.json", history)


async def test_run_workflow_reads_in_parallel_and_is_findable(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    client = temporal_env.client
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.psp_balance("acc-a", "USD/2", 900, at(1))
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        policy = await books.policy(pool)
        r = await http.post(f"{R}/policies/{policy}/reconciliation", json={
            "reconciledAtLedger": iso(at(2)), "reconciledAtPayments": iso(at(2))})
        assert r.status_code == 200, r.text
        run = r.json()["data"]
        assert (run["status"], run["driftBalances"]) == ("NOT_OK", {"USD/2": 100})

        handle = client.get_workflow_handle(run_workflow_id(run["id"]))
        events = [e async for e in handle.fetch_history_events()]
        kinds = [e.event_type for e in events]
        scheduled = [i for i, k in enumerate(kinds)
                     if k == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
        first_done = kinds.index(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        assert len(scheduled) == 3 and scheduled[1] < first_done  # both reads, then the store
        await _record(handle, "run-not-ok")

        query = (f'LedgerflowConfigId = "{policy}" AND LedgerflowKind = "policy" '
                 f'AND LedgerflowStatus = "NOT_OK"')

        async def found() -> bool:
            return [w.id async for w in client.list_workflows(query)] == [handle.id]

        await eventually(found, "the run in visibility")

        # The pool's balance fixed: OK.
        await books.psp_balance("acc-a", "USD/2", 1000, at(3))
        r = await http.post(f"{R}/policies/{policy}/reconciliation", json={
            "reconciledAtLedger": iso(at(3)), "reconciledAtPayments": iso(at(3))})
        assert r.json()["data"]["status"] == "OK"
        await _record(client.get_workflow_handle(run_workflow_id(r.json()["data"]["id"])),
                      "run-ok")

        # A refused read ends the run at once with the read's code (no retries).
        assert (await http.delete(f"/api/payments/v3/pools/{pool}")).status_code == 204
        r = await http.post(f"{R}/policies/{policy}/reconciliation", json={
            "reconciledAtLedger": iso(at(3)), "reconciledAtPayments": iso(at(3))})
        assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND")
        async def failed() -> list[str]:
            return [w.id async for w in client.list_workflows(
                f'LedgerflowConfigId = "{policy}" AND ExecutionStatus = "Failed"')]

        (failed_id,) = await eventually(failed, "the failed run in visibility")
        events = [e async for e in client.get_workflow_handle(failed_id).fetch_history_events()]
        attempts = [e for e in events
                    if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED]
        assert len(attempts) == 1  # the pool read, once: a business refusal is final
