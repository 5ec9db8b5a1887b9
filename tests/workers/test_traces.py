"""One trace from the HTTP request through the workflow start to the workflow and its activity
(workflows/telemetry.py: temporalio's tracing interceptor on every client we connect, hence on
its workers; api/metrics.py: the request's server span). Exported here to an in-process
collector (an in-memory exporter); in production to OTEL_EXPORTER_OTLP_ENDPOINT. Off by
default: with tracing unconfigured a client carries no tracing interceptor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Worker

from storage.database import Database
from tests.temporal_stack import ModuleStack
from tests.workflows.webhooks.webhook_receiver import Receiver
from workers.worker import worker_options
from workflows.client import connect
from workflows.telemetry import (
    client_interceptors,
    configure_tracing,
    disable_tracing,
    flush_traces,
)


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing("ledgerflow-test", None, exporter=exporter)
    try:
        yield exporter
    finally:
        disable_tracing()


def test_tracing_is_off_unless_configured() -> None:
    assert not configure_tracing("ledgerflow-test", None)
    assert not any(isinstance(i, TracingInterceptor) for i in client_interceptors())


async def test_one_trace_spans_the_request_the_workflow_and_its_activity(
        exported: InMemorySpanExporter, database: Database, database_url: str,
        temporal_env: Any, temporal_address: str) -> None:
    stack = ModuleStack("webhooks", temporal_env, database, database_url, temporal_address)
    reg = stack.registration()
    # Connected after tracing was configured, as a worker process does at start.
    client = await connect(temporal_address)
    try:
        async with Receiver() as receiver, Worker(
                client, task_queue=reg.task_queue, workflows=reg.workflows,
                activities=reg.activities, **worker_options()), stack.http() as http:
            r = await http.post("/api/webhooks/configs", json={
                "endpoint": receiver.url, "eventTypes": ["ledger.committed_transactions"]})
            assert r.status_code == 200, r.text
            config = r.json()["data"]["id"]
            r = await http.get(f"/api/webhooks/configs/{config}/test")
            assert r.status_code == 200, r.text
            assert len(receiver.received) == 1
    finally:
        await reg.close()
    flush_traces()
    spans = exported.get_finished_spans()
    request = next(s for s in spans if s.name == "GET /api/webhooks/configs/{id}/test")
    trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    names = {s.name for s in trace}
    assert {"StartWorkflow:webhook-test", "RunWorkflow:webhook-test",
            "StartActivity:webhooks.send_test", "RunActivity:webhooks.send_test"} <= names, names
    # The request's span is the root: everything else hangs below it.
    assert request.parent is None
    assert all(s.parent is not None for s in trace if s is not request)
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/api/webhooks/configs/{id}/test"
