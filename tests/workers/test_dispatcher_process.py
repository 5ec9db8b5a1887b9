"""`python -m workers dispatcher` with DISPATCHER_METRICS_PORT, as compose runs it: its /metrics
shows the webhooks consumer caught up with the outbox once it has dispatched the events waiting,
and SIGTERM stops it with exit code 0."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

from storage.database import Database
from storage.outbox import event_envelope, events_outbox
from storage.webhooks.consumer import CONSUMER_NAME
from tests.conftest import free_port
from tests.workers.scrape import Samples, samples, value

ROOT = Path(__file__).resolve().parents[2]


async def _scrape(port: int) -> Samples | None:
    try:
        async with httpx.AsyncClient() as http:
            return samples((await http.get(f"http://127.0.0.1:{port}/metrics", timeout=2)).text)
    except httpx.HTTPError:
        return None  # not listening yet


async def test_the_dispatcher_process_serves_its_outbox_lag_and_stops_on_sigterm(
        database: Database, database_url: str, temporal_address: str) -> None:
    async with database.transaction() as conn:
        await conn.execute(insert(events_outbox), [{
            "app": "ledger", "type": "COMMITTED_TRANSACTIONS",
            "envelope": event_envelope("ledger", "COMMITTED_TRANSACTIONS",
                                       {"ledger": "main", "transactions": [{"id": n}]},
                                       ledger="main")} for n in range(2)])
        assert (await conn.execute(select(func.count()).select_from(events_outbox))).scalar() \
            == 2
    port = free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, awaited by polling
        [sys.executable, "-m", "workers", "dispatcher"], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "TEMPORAL_ADDRESS": temporal_address,
             "DISPATCHER_METRICS_PORT": str(port), "LEDGERFLOW_WEBHOOKS_POLL_INTERVAL": "0.2",
             "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 40
        while True:
            assert proc.poll() is None, "the dispatcher exited"
            assert time.monotonic() < deadline, "the consumer's lag never showed caught up"
            found = await _scrape(port)
            backlog = ("ledgerflow_outbox_backlog_events", frozenset({("consumer", CONSUMER_NAME)}))
            if found and found.get(backlog) == 0:  # the series exists, and says caught up
                break
            await asyncio.sleep(0.3)
        assert value(found, "ledgerflow_outbox_lag_seconds", consumer=CONSUMER_NAME) == 0
        proc.send_signal(signal.SIGTERM)
        began = time.monotonic()
        while proc.poll() is None:
            assert time.monotonic() - began < 15, "the dispatcher did not stop on SIGTERM"
            await asyncio.sleep(0.1)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
