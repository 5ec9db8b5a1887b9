"""The /metrics of worker and dispatcher processes (workers/metrics.py, workers/outbox_lag.py),
scraped over HTTP as Prometheus does: a worker's endpoint carries the Temporal SDK's series
(workflow completions and failures by type, activity latencies) beside ours (workflow starts by
type and outcome); the dispatcher's carries webhook attempts by outcome and each outbox
consumer's lag."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, text
from temporalio.client import WorkflowFailureError
from temporalio.worker import Worker

from config.settings import Settings
from config.webhooks import WebhooksSettings
from storage.database import Database
from storage.outbox import event_envelope, events_outbox
from storage.webhooks.consumer import CONSUMER_NAME
from tests.conftest import free_port
from tests.workers.scrape import Samples, names, samples, value
from tests.workflows.takeover_worker import (
    FAILING_WORKFLOW as FAILING,
)
from tests.workflows.takeover_worker import (
    WORKFLOW,
    Done,
    FailingWorkflow,
    TakeoverWorkflow,
    Work,
    work_activity,
)
from tests.workflows.webhooks.webhook_receiver import Receiver
from workers import outbox_lag
from workers.dispatcher import run_dispatcher
from workers.metrics import serve_metrics, worker_runtime
from workers.worker import worker_options
from workflows.client import connect


async def _scrape(port: int) -> Samples:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert r.status_code == 200
    return samples(r.text)


async def _eventually(check: Callable[[], Any], what: str, within: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


async def test_a_workers_metrics_carry_the_sdk_series_and_workflow_starts(
        temporal_address: str, tmp_path: Path) -> None:
    port = free_port()
    client = await connect(temporal_address, runtime=worker_runtime(port))
    queue = f"metrics-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[TakeoverWorkflow, FailingWorkflow],
                      activities=[work_activity("metrics")], **worker_options()):
        done = await client.execute_workflow(
            WORKFLOW, Work(marker=str(tmp_path / "m"), hold_seconds=0), id=f"m-{uuid.uuid4()}",
            task_queue=queue, result_type=Done)
        assert done.by == "metrics"
        with pytest.raises(WorkflowFailureError):
            await client.execute_workflow(FAILING, id=f"f-{uuid.uuid4()}", task_queue=queue)

        async def reported() -> Samples | None:
            found = await _scrape(port)
            # The parser names counters with their _total suffix, as a scraper stores them.
            failed = value(found, "temporal_workflow_failed_total", namespace="default",
                           task_queue=queue, workflow_type=FAILING,
                           service_name="temporal-core-sdk")
            return found if failed else None

        found = await _eventually(reported, "the SDK's failure count")
    assert value(found, "ledgerflow_workflow_starts_total", workflow_type=WORKFLOW,
                 outcome="started") >= 1
    assert value(found, "ledgerflow_workflow_starts_total", workflow_type=FAILING,
                 outcome="started") >= 1
    sdk = {n for n in names(found) if n.startswith("temporal_")}
    assert {"temporal_workflow_completed_total", "temporal_workflow_failed_total"} <= sdk, \
        sorted(sdk)
    assert any(n.startswith("temporal_activity_execution_latency") for n in sdk), sorted(sdk)


async def test_the_dispatchers_metrics_count_webhook_attempts_and_outbox_lag(
        database: Database, temporal_env: Any) -> None:
    port = free_port()
    serve_metrics(port, host="127.0.0.1")
    async with Receiver() as receiver:
        async with database.transaction() as conn:
            await conn.execute(text(
                "INSERT INTO webhook_configs (id, endpoint, secret, event_types, active, "
                "created_at, updated_at) VALUES (:id, :endpoint, 's', :types, true, now(), now())"
            ), {"id": uuid.uuid4(), "endpoint": receiver.url,
                "types": ["ledger.committed_transactions"]})
            await conn.execute(text("INSERT INTO events_consumer_offsets (consumer) "
                                    "VALUES (:c) ON CONFLICT DO NOTHING"), {"c": CONSUMER_NAME})
            await conn.execute(insert(events_outbox), [{
                "app": "ledger", "type": "COMMITTED_TRANSACTIONS",
                "envelope": event_envelope("ledger", "COMMITTED_TRANSACTIONS",
                                           {"ledger": "main", "transactions": [{"id": n}]},
                                           ledger="main")} for n in range(3)])
        before = await _scrape(port)
        await asyncio.sleep(0.2)  # the events have an age
        await outbox_lag.refresh(database)
        behind = await _scrape(port)
        assert value(behind, "ledgerflow_outbox_backlog_events", consumer=CONSUMER_NAME) == 3
        assert value(behind, "ledgerflow_outbox_lag_seconds", consumer=CONSUMER_NAME) > 0.1

        stop = asyncio.Event()
        webhooks = WebhooksSettings(poll_interval=timedelta(milliseconds=100),
                                    task_queue=f"webhooks-{uuid.uuid4()}")
        task = asyncio.create_task(run_dispatcher(Settings(), database, stop, webhooks=webhooks,
                                                  temporal_client=temporal_env.client))
        try:
            await _eventually(lambda: _true(len(receiver.received) >= 3), "three deliveries")
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
    await outbox_lag.refresh(database)
    after = await _scrape(port)
    attempts = "ledgerflow_webhook_attempts_total"
    assert value(after, attempts, outcome="succeeded") - \
        value(before, attempts, outcome="succeeded") == 3
    assert value(after, "ledgerflow_outbox_backlog_events", consumer=CONSUMER_NAME) == 0
    assert value(after, "ledgerflow_outbox_lag_seconds", consumer=CONSUMER_NAME) == 0


async def _true(result: bool) -> bool:
    return result
