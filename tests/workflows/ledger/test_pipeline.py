"""Ledger pipelines end to end: API -> pipeline workflow on the real Temporal dev server ->
export activity -> a real HTTP receiver on 127.0.0.1.

Delivery is at-least-once with log ids for deduplication: the cursor only advances once the
receiver acknowledged a batch, so across a worker restart no log is lost, and the ids the
receiver sees, deduplicated in arrival order, are exactly 1..N with no gap."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from storage.database import Database
from tests.replay.recording import write_history
from tests.temporal_stack import ModuleStack, unique_modules
from workflows.ledger.inputs import pipeline_workflow_id

V2 = "/api/ledger/v2"
HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "ledger"


class Receiver:
    """Records every batch it acknowledges; answers 500 to the first `fail_first` requests."""

    def __init__(self, *, fail_first: int = 0, delay: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.refused = 0
        self.fail_first = fail_first
        self.delay = delay
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(receiver.delay)
                with receiver.lock:
                    if receiver.refused < receiver.fail_first:
                        receiver.refused += 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    receiver.batches.append([log["id"] for log in json.loads(body)])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/logs"

    def ids(self) -> list[int]:
        with self.lock:
            return [i for batch in self.batches for i in batch]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=2, delay=0.05)
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()


@pytest.fixture
def stack(temporal_env: Any, database: Database, database_url: str,
          temporal_address: str) -> ModuleStack:
    return ModuleStack("ledger", temporal_env, database, database_url, temporal_address,
                       unique_modules(pipelines={
                           "batch_size": 4, "poll_interval": timedelta(milliseconds=200),
                           "iterations_per_run": 5}))


async def _send(api: httpx.AsyncClient, ledger: str, n: int) -> None:
    for _ in range(n):
        r = await api.post(f"{V2}/{ledger}/transactions", json={"postings": [
            {"source": "world", "destination": "users:1", "amount": 1, "asset": "USD"}]})
        assert r.status_code == 200, r.text


async def _until(predicate: Any, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _pipeline(api: httpx.AsyncClient, ledger: str, pid: str) -> dict[str, Any]:
    r = await api.get(f"{V2}/{ledger}/pipelines/{pid}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def _assert_ordered_at_least_once(receiver: Receiver, last: int) -> None:
    seen: list[int] = []
    high = 0
    for batch in receiver.batches:
        assert batch == list(range(batch[0], batch[0] + len(batch))), batch  # contiguous
        assert batch[0] <= high + 1, f"gap before {batch}"  # never skips ahead
        seen += [i for i in batch if i > high]
        high = max(high, batch[-1])
    assert seen == list(range(1, last + 1))


async def test_pipeline_survives_a_worker_restart_without_losing_logs(
        stack: ModuleStack, receiver: Receiver) -> None:
    async with stack.http() as api:
        assert (await api.post(f"{V2}/main", json={})).status_code == 204
        await _send(api, "main", 10)
        r = await api.post(f"{V2}/_/exporters", json={"driver": "http",
                                                      "config": {"url": receiver.url}})
        assert r.status_code == 201, r.text
        exporter = r.json()["data"]
        r = await api.post(f"{V2}/main/pipelines", json={"exporterID": exporter["id"]})
        assert r.status_code == 201, r.text
        pid = r.json()["data"]["id"]
        handle = stack.client.get_workflow_handle(pipeline_workflow_id("main", pid))
        first_run = (await handle.describe()).run_id

        async with stack.worker(graceful_shutdown_timeout=timedelta(seconds=10)):
            await _until(lambda: _has(receiver, 4))
        # Worker gone mid-stream; more writes arrive meanwhile.
        stopped_at = len(receiver.ids())
        await _send(api, "main", 7)
        await asyncio.sleep(0.5)
        assert len(receiver.ids()) == stopped_at

        async with stack.worker(graceful_shutdown_timeout=timedelta(seconds=10)):
            await _until(lambda: _exported(api, pid, 17))
            _assert_ordered_at_least_once(receiver, 17)
            assert receiver.refused == 2  # the first two batches were retried with backoff

            # stop: nothing more goes out; start: it catches up.
            assert (await api.post(f"{V2}/main/pipelines/{pid}/stop")).status_code == 202
            assert (await _pipeline(api, "main", pid))["enabled"] is False
            await _send(api, "main", 2)
            await asyncio.sleep(0.6)
            assert max(receiver.ids()) == 17
            assert (await api.post(f"{V2}/main/pipelines/{pid}/start")).status_code == 202
            await _until(lambda: _exported(api, pid, 19))

            # reset: everything again, from log 1.
            before = len(receiver.batches)
            assert (await api.post(f"{V2}/main/pipelines/{pid}/reset")).status_code == 202
            reset_run = (await handle.describe()).run_id
            await _until(lambda: _exported(api, pid, 19))
            again = [i for batch in receiver.batches[before:] for i in batch]
            assert again[0] == 1 and sorted(set(again)) == list(range(1, 20))

        if os.environ.get("LEDGERFLOW_RECORD_HISTORIES"):
            history = await stack.client.get_workflow_handle(
                handle.id, run_id=first_run).fetch_history()
            write_history(HISTORIES / "ledger_pipeline_restart.json", history)
            # The run that took the reset update.
            latest = await stack.client.get_workflow_handle(
                handle.id, run_id=reset_run).fetch_history()
            write_history(HISTORIES / "ledger_pipeline_updates.json", latest)

        listed = (await api.get(f"{V2}/main/pipelines")).json()["cursor"]["data"]
        assert [p["id"] for p in listed] == [pid]
        r = await api.delete(f"{V2}/_/exporters/{exporter['id']}")
        assert r.status_code == 400, r.text  # in use
        assert (await api.delete(f"{V2}/main/pipelines/{pid}")).status_code == 204
        assert (await api.get(f"{V2}/main/pipelines/{pid}")).status_code == 404
        assert (await api.delete(f"{V2}/_/exporters/{exporter['id']}")).status_code == 204


async def _has(receiver: Receiver, n: int) -> bool:
    return len(receiver.ids()) >= n


async def _exported(api: httpx.AsyncClient, pid: str, last: int) -> bool:
    return (await _pipeline(api, "main", pid))["lastLogID"] >= last
