"""Webhook deliveries end to end: outbox event -> dispatcher -> signed HTTP POST to a real local
receiver -> on failure, a retry workflow on the real Temporal dev server."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from conftest import Stack, fast_settings
from sqlalchemy import insert, select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from webhook_receiver import Receiver

from storage.database import Database
from storage.outbox import event_envelope, events_outbox
from storage.webhooks.tables import webhook_attempts, webhook_deliveries
from tests.replay.recording import write_history
from workflows import search_attributes
from workflows.webhooks.inputs import RetryWorkflowResult

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "webhooks"
EVENT_TYPE = "ledger.committed_transactions"


async def _config(api: httpx.AsyncClient, endpoint: str, **extra: Any) -> dict[str, Any]:
    resp = await api.post("/api/webhooks/configs",
                          json={"endpoint": endpoint, "eventTypes": [EVENT_TYPE], **extra})
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def _publish(database: Database, count: int = 1, **envelope_extra: Any) -> None:
    rows = []
    for n in range(count):
        envelope = event_envelope("ledger", "COMMITTED_TRANSACTIONS",
                                  {"ledger": "main", "transactions": [{"id": n}]}, ledger="main")
        envelope.update(envelope_extra)
        rows.append({"app": "ledger", "type": "COMMITTED_TRANSACTIONS", "envelope": envelope,
                     "created_at": datetime.now(UTC)})
    async with database.transaction() as conn:
        await conn.execute(insert(events_outbox), rows)


async def _delivery(database: Database, *, with_workflow: bool, within: float = 30
                    ) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        async with database.engine.connect() as conn:
            row = (await conn.execute(select(webhook_deliveries))).first()
        if row is not None and (row.retry_workflow_id or not with_workflow):
            return dict(row._mapping)
        assert time.monotonic() < deadline, "no delivery (with its retry workflow) in time"
        await asyncio.sleep(0.05)


async def _attempts(database: Database, delivery_id: UUID) -> list[dict[str, Any]]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(
            select(webhook_attempts).where(webhook_attempts.c.delivery_id == delivery_id)
            .order_by(webhook_attempts.c.attempt_number))).all()
    return [dict(r._mapping) for r in rows]


def _retry(temporal_env: Any, delivery: dict[str, Any]
           ) -> WorkflowHandle[Any, RetryWorkflowResult]:
    return temporal_env.client.get_workflow_handle(  # type: ignore[no-any-return]
        delivery["retry_workflow_id"], result_type=RetryWorkflowResult)


def _answers(*statuses: int | tuple[int, dict[str, str]]) -> Any:
    """Answer the n-th request with the n-th status (the last one repeats)."""
    def answer(_request: Any, n: int) -> tuple[int, dict[str, str]]:
        chosen = statuses[min(n, len(statuses)) - 1]
        return chosen if isinstance(chosen, tuple) else (chosen, {})
    return answer


async def test_events_reach_the_receiver_signed_exactly_once_across_a_dispatcher_restart(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings(outbox_batch_size=3, send_batch_size=2))
    # Slow answers: the first dispatcher is stopped while it still has work (on loopback it
    # could otherwise deliver all ten between two polls of wait_for).
    async with Receiver(delay=0.3) as receiver, stack.http() as api:
        config = await _config(api, receiver.url)
        await _publish(database, 10, idempotency_key="idem-1")
        # Stop the dispatcher as soon as the receiver sees the first request: it stops with
        # events read, deliveries enqueued and sends in flight; a new one finishes the job.
        async with stack.dispatcher() as stop:
            await receiver.wait_for(1)
            stop.set()
        first_run = len(receiver.received)
        async with stack.dispatcher():
            received = await receiver.wait_for(10)
            await asyncio.sleep(0.5)  # anything extra would show up now
        assert first_run < 10
    assert len(receiver.received) == 10
    assert len({r.webhook_id for r in received}) == 10
    bodies = [json.loads(r.body) for r in received]
    assert sorted(b["payload"]["transactions"][0]["id"] for b in bodies) == list(range(10))
    for request, body in zip(received, bodies, strict=True):
        assert request.signed_by(config["secret"])
        assert request.headers["formance-webhook-test"] == "false"
        assert request.headers["formance-webhook-idempotency-key"] == "idem-1"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == "formance-webhooks/v0"
        assert body["type"] == EVENT_TYPE and body["app"] == "ledger"
        assert abs(int(request.headers["formance-webhook-timestamp"]) - time.time()) < 60


async def test_a_receiver_failing_twice_then_succeeding_gets_the_same_webhook_id_thrice(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings())
    async with Receiver(_answers(500, 503, 200)) as receiver, \
            stack.http() as api, stack.worker(), \
            stack.dispatcher():
        config = await _config(api, receiver.url)
        await _publish(database)
        delivery = await _delivery(database, with_workflow=True)
        assert delivery["retry_workflow_id"] == f"webhook-{config['id']}-{delivery['id']}"
        handle = _retry(temporal_env, delivery)
        result = await handle.result()
        await asyncio.sleep(0.3)
        if os.environ.get("LEDGERFLOW_RECORD_HISTORIES"):
            history = await handle.fetch_history()
            write_history(HISTORIES / "webhook_retry_fail_twice_then_succeed.json", history)
        description = await handle.describe()
    assert result.status == "succeeded" and result.attempts == 3
    assert len(receiver.received) == 3
    assert {r.webhook_id for r in receiver.received} == {str(delivery["id"])}
    assert all(r.signed_by(config["secret"]) for r in receiver.received)
    attempts = await _attempts(database, delivery["id"])
    assert [(a["attempt_number"], a["outcome"], a["status_code"]) for a in attempts] == [
        (1, "retryable_failure", 500), (2, "retryable_failure", 503), (3, "succeeded", 200)]
    assert attempts[0]["next_retry_at"] is not None and attempts[2]["next_retry_at"] is None
    assert attempts[2]["response_excerpt"] == '{"ok":true}'
    final = await _delivery(database, with_workflow=True)
    assert final["status"] == "succeeded" and final["attempt_count"] == 3
    attributes = description.typed_search_attributes
    assert attributes.get(search_attributes.CONFIG_ID) == config["id"]
    assert attributes.get(search_attributes.EVENT_TYPE) == EVENT_TYPE
    assert attributes.get(search_attributes.STATUS) == "succeeded"


async def test_a_400_from_the_receiver_is_permanent_after_one_attempt(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings())
    async with Receiver(_answers(400)) as receiver, \
            stack.http() as api, stack.worker(), \
            stack.dispatcher():
        await _config(api, receiver.url)
        await _publish(database)
        await receiver.wait_for(1)
        await asyncio.sleep(1.5)  # several backoffs: no retry may come
        delivery = await _delivery(database, with_workflow=False)
        listed = (await api.get("/api/webhooks/deliveries", params={"status": "failed"})).json()
        detail = (await api.get(f"/api/webhooks/deliveries/{delivery['id']}")).json()["data"]
        attempts = (await api.get(
            f"/api/webhooks/deliveries/{delivery['id']}/attempts")).json()["cursor"]["data"]
    assert len(receiver.received) == 1
    assert delivery["status"] == "failed" and delivery["retry_workflow_id"] is None
    assert [d["id"] for d in listed["cursor"]["data"]] == [str(delivery["id"])]
    assert detail["status"] == "failed" and detail["lastStatusCode"] == 400
    assert json.loads(detail["payload"])["type"] == EVENT_TYPE
    assert [(a["attemptNumber"], a["outcome"], a["statusCode"]) for a in attempts] == [
        (1, "permanent_failure", 400)]


async def test_retry_after_of_a_429_is_honoured(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings())
    async with Receiver(_answers((429, {"retry-after": "2"}), 200)) as receiver, \
            stack.http() as api, stack.worker(), \
            stack.dispatcher():
        await _config(api, receiver.url)
        await _publish(database)
        delivery = await _delivery(database, with_workflow=True)
        result = await _retry(temporal_env, delivery).result()
    assert result.status == "succeeded" and result.attempts == 2
    first, second = receiver.received
    assert second.at - first.at >= 2.0  # not the 0.3 s backoff
    attempts = await _attempts(database, delivery["id"])
    assert attempts[0]["status_code"] == 429
    wait = attempts[0]["next_retry_at"] - attempts[0]["created_at"]
    assert timedelta(seconds=2) <= wait < timedelta(seconds=3)


async def test_a_delivery_fails_after_max_attempts(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings(max_attempts=3))
    async with Receiver(_answers(503)) as receiver, \
            stack.http() as api, stack.worker(), \
            stack.dispatcher():
        await _config(api, receiver.url)
        await _publish(database)
        delivery = await _delivery(database, with_workflow=True)
        handle = _retry(temporal_env, delivery)
        result = await handle.result()
        await asyncio.sleep(0.3)
        if os.environ.get("LEDGERFLOW_RECORD_HISTORIES"):
            write_history(HISTORIES / "webhook_retry_max_attempts.json",
                          await handle.fetch_history())
    assert result.status == "failed" and result.attempts == 3
    assert len(receiver.received) == 3
    final = await _delivery(database, with_workflow=True)
    assert final["status"] == "failed" and final["next_attempt_at"] is None
    assert [a["outcome"] for a in await _attempts(database, delivery["id"])] == [
        "retryable_failure"] * 3


async def test_deactivating_a_config_cancels_its_pending_retries(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings(min_backoff=timedelta(seconds=30)))
    async with Receiver(_answers(500)) as receiver, \
            stack.http() as api, stack.worker(), \
            stack.dispatcher():
        config = await _config(api, receiver.url)
        await _publish(database)
        delivery = await _delivery(database, with_workflow=True)
        handle = _retry(temporal_env, delivery)
        resp = await api.put(f"/api/webhooks/configs/{config['id']}/deactivate")
        assert resp.status_code == 200 and resp.json()["data"]["active"] is False
        deadline = time.monotonic() + 20
        while (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        description = await handle.describe()
    assert description.status is WorkflowExecutionStatus.CANCELED
    assert description.typed_search_attributes.get(search_attributes.STATUS) == "cancelled"
    assert len(receiver.received) == 1
    final = await _delivery(database, with_workflow=True)
    assert final["status"] == "cancelled"


async def test_deleting_a_config_cancels_its_pending_retries(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings(min_backoff=timedelta(seconds=30)))
    async with Receiver(_answers(500)) as receiver, \
            stack.http() as api, stack.worker(), \
            stack.dispatcher():
        config = await _config(api, receiver.url)
        await _publish(database)
        delivery = await _delivery(database, with_workflow=True)
        handle = _retry(temporal_env, delivery)
        assert (await api.delete(f"/api/webhooks/configs/{config['id']}")).status_code == 200
        deadline = time.monotonic() + 20
        while (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
    assert (await handle.describe()).status is WorkflowExecutionStatus.CANCELED
    assert (await _delivery(database, with_workflow=True))["status"] == "cancelled"


async def test_a_retry_survives_a_worker_restart(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings(min_backoff=timedelta(seconds=2)))
    async with Receiver(_answers(500, 200)) as receiver, \
            stack.http() as api, stack.dispatcher():
        await _config(api, receiver.url)
        async with stack.worker():
            await _publish(database)
            delivery = await _delivery(database, with_workflow=True)
            await asyncio.sleep(0.3)  # the workflow is now sleeping its backoff
        # No worker while the timer fires; a new worker picks the workflow up.
        await asyncio.sleep(2.5)
        assert len(receiver.received) == 1
        async with stack.worker():
            result = await _retry(temporal_env, delivery).result()
    assert result.status == "succeeded" and result.attempts == 2
    assert len(receiver.received) == 2
    assert [a["attempt_number"] for a in await _attempts(database, delivery["id"])] == [1, 2]


async def test_the_test_endpoint_sends_one_signed_test_delivery_and_returns_the_attempt(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings())
    async with Receiver(_answers(500)) as receiver, \
            stack.http() as api, stack.worker():
        config = await _config(api, receiver.url)
        resp = await api.get(f"/api/webhooks/configs/{config['id']}/test")
    assert resp.status_code == 200, resp.text
    attempt = resp.json()["data"]
    assert attempt["statusCode"] == 500 and attempt["status"] == "failed"
    assert attempt["payload"] == '{"data":"test"}' and attempt["retryAttempt"] == 0
    assert attempt["config"]["id"] == config["id"]
    (request,) = receiver.received  # no retry for a test
    assert request.body == b'{"data":"test"}'
    assert request.headers["formance-webhook-test"] == "true"
    assert request.webhook_id == attempt["webhookID"]
    assert request.signed_by(config["secret"])
    # Findable in the Temporal UI by its config (visibility is eventually consistent).
    query = f'WorkflowType = "webhook-test" AND LedgerflowConfigId = "{config["id"]}"'
    for _ in range(100):
        found = [w async for w in temporal_env.client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.1)
    (test_run,) = found
    assert test_run.id.startswith(f"webhook-test-{config['id']}-")
    if os.environ.get("LEDGERFLOW_RECORD_HISTORIES"):
        history = await temporal_env.client.get_workflow_handle(test_run.id).fetch_history()
        write_history(HISTORIES / "webhook_test_delivery.json", history)
