"""The provider is called exactly once per attempt: a worker SIGKILLed while its send is at the
provider (the provider made the payment, its answer never came back) is replaced by another,
whose retry of the send carries the same idempotency key, so the provider answers the payment
it already made. The initiation still reaches PROCESSED, and the fake PSP made one payment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from storage.database import Database
from tests.workflows.payments.initiation_env import P, eventually, initiation_env

ROOT = Path(__file__).resolve().parents[3]


async def test_a_worker_killed_during_the_send_sends_once(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with initiation_env(database_url, database, temporal_env, temporal_address,
                              worker=False) as env:
        queue = env.stack.task_queue
        first = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited on
            [sys.executable, "-m", "tests.workflows.payments.initiation_worker",
             database_url, temporal_address, queue],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            connected = await env.connector("generic", {"name": "g", "apiKey": "secret",
                                                        "endpoint": env.url})
            env.psp.sends.hold(60)  # the answer is held until the worker is gone
            pid = await env.create(connected)
            r = await env.http.post(f"{P}/payment-initiations/{pid}/approve")
            assert r.status_code == 202, r.text
            task_id = r.json()["data"]["taskID"]
            key = f"{pid}-1"

            async def at_the_provider() -> bool:
                assert first.poll() is None, "the worker process exited"
                return env.psp.sends.requests.get(key) == 1
            await eventually(at_the_provider, "the send to reach the provider", 60)
            assert env.psp.sends.created == {key: 1}
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            env.psp.sends.release()
            async with env.stack.worker():
                await env.status(pid, "PROCESSED", within=60)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        # Asked twice (the retry after the kill), one payment made.
        assert env.psp.sends.requests == {key: 2}
        assert env.psp.sends.created == {key: 1}
        assert [t for t in env.psp.transactions if t.startswith("mv-")] == [f"mv-{key}"]
        task = (await env.http.get(f"{P}/tasks/{task_id}")).json()["data"]
        assert task["status"] == "SUCCEEDED"
        related = (await env.http.get(f"{P}/payment-initiations/{pid}/payments")).json()
        assert [p["id"] for p in related["cursor"]["data"]] == [task["createdObjectID"]]
        assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "PROCESSING",
                                           "PROCESSED"]
