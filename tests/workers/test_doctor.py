"""`python -m workers doctor` as an operator runs it: one line per check, exit 1 with what to
do when something is wrong (schema behind, no worker on a queue, Temporal unreachable), exit 0
once a real worker pool (`python -m workers worker --queues ...`) polls the queue, which then
drains and exits 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from tests.conftest import free_port
from tests.workers.scrape import samples, value
from workflows import search_attributes

ROOT = Path(__file__).resolve().parents[2]


def _env(database_url: str, temporal_address: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "TEMPORAL_ADDRESS": temporal_address,
            "PYTHONPATH": str(ROOT), **extra}


async def _doctor(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "workers", "doctor", *args, cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # the checks go to stdout
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode().splitlines()


@pytest.fixture
async def empty_database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A database no migration has run on."""
    name = f"ledgerflow_doctor_{uuid.uuid4().hex[:8]}"
    dsn = postgres_admin_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield f"{postgres_admin_url.rpartition('/')[0]}/{name}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def test_doctor_fails_with_what_to_do(empty_database_url: str, temporal_address: str
                                            ) -> None:
    queue = f"doctor-{uuid.uuid4()}"
    code, lines = await _doctor(_env(empty_database_url, temporal_address), "--queues", queue)
    assert code == 1, lines
    assert any(line.startswith("OK    PostgreSQL at") for line in lines), lines
    schema = next(line for line in lines if "schema at migration head" in line)
    assert schema.startswith("FAIL") and "python -m workers migrate" in schema
    for key in search_attributes.ALL:  # the session's dev server registers them all
        assert f"OK    search attribute {key.name} ({search_attributes.type_name(key)})" \
            in lines
    polled = next(line for line in lines if line.startswith(f"FAIL  task queue {queue}"))
    assert "0 workflow, 0 activity pollers" in polled
    assert f"python -m workers worker --queues {queue}" in polled
    assert lines[-1].endswith("FAIL") and not lines[-1].startswith("0 FAIL")

    code, lines = await _doctor(_env(empty_database_url, f"127.0.0.1:{free_port()}"))
    assert code == 1
    assert any(line.startswith("FAIL  Temporal at 127.0.0.1:") and "TEMPORAL_ADDRESS" in line
               for line in lines), lines


async def _pollers(temporal_env: Any, queue: str) -> int:
    client = temporal_env.client
    response = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY))
    return len(response.pollers)


async def test_doctor_passes_once_a_worker_pool_polls_and_the_pool_exits_0_on_sigterm(
        database_url: str, temporal_address: str, temporal_env: Any) -> None:
    queue = f"webhooks-doctor-{uuid.uuid4()}"
    metrics = free_port()
    env = _env(database_url, temporal_address, LEDGERFLOW_WEBHOOKS_TASK_QUEUE=queue,
               WORKER_METRICS_PORT=str(metrics))
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, awaited by polling
        [sys.executable, "-m", "workers", "worker", "--queues", queue, "--concurrency", "4"],
        cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not await _pollers(temporal_env, queue):
            assert worker.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker never polled"
            await asyncio.sleep(0.2)
        code, lines = await _doctor(env, "--queues", queue)
        assert code == 0, lines
        assert all(line.startswith("OK") for line in lines[:-1]), lines
        assert f"OK    task queue {queue} polled" in "\n".join(lines)
        # The pool's /metrics (WORKER_METRICS_PORT) carries the SDK's series for its queue.
        async with httpx.AsyncClient() as http:
            scraped = samples((await http.get(f"http://127.0.0.1:{metrics}/metrics")).text)
        assert value(scraped, "temporal_worker_start_total", namespace="default",
                     task_queue=queue, service_name="temporal-core-sdk") == 1
        worker.send_signal(signal.SIGTERM)
        began = time.monotonic()
        while worker.poll() is None:
            assert time.monotonic() - began < 15, "the pool did not stop on SIGTERM"
            await asyncio.sleep(0.1)
        assert worker.returncode == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)


class _Listing:
    """An operator service answering ListSearchAttributes with the given custom attributes."""

    def __init__(self, custom: dict[str, int]) -> None:
        self.custom = custom

    async def list_search_attributes(self, _request: object) -> Any:
        return type("Response", (), {"custom_attributes": self.custom})()


async def test_a_missing_or_mistyped_search_attribute_says_how_to_fix_it() -> None:
    from temporalio.api.enums.v1 import IndexedValueType

    from workers.doctor import check_search_attributes

    registered = {k.name: int(k.indexed_value_type) for k in search_attributes.ALL}
    del registered[search_attributes.WALLET_ID.name]
    registered[search_attributes.TRIGGER_ID.name] = IndexedValueType.INDEXED_VALUE_TYPE_TEXT
    client = type("Client", (), {"namespace": "prod",
                                 "operator_service": _Listing(registered)})()
    lines = [c.line() for c in await check_search_attributes(client)]  # type: ignore[arg-type]
    assert "FAIL  search attribute LedgerflowWalletId (Keyword): not registered; run `temporal " \
        "operator search-attribute create --namespace prod --name LedgerflowWalletId --type " \
        "Keyword`" in lines
    trigger = next(line for line in lines if "LedgerflowTriggerId" in line)
    assert trigger.startswith("FAIL  search attribute LedgerflowTriggerId (KeywordList): "
                              "registered as TEXT; remove it"), trigger
    assert "--type KeywordList" in trigger
    assert sum(line.startswith("OK") for line in lines) == len(search_attributes.ALL) - 2
