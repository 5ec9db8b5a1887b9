"""Issue 13 point 4: a worker SIGKILLed in the middle of an activity does not hold the workflow
for the activity's start-to-close timeout: the heartbeat every activity sends (activities/defn.py)
stops, Temporal times the attempt out after the stub's heartbeat timeout (activities/stub.py),
and the retry runs on a second worker within seconds; the workflow task that follows leaves
the dead worker's sticky queue after STICKY_QUEUE_TIMEOUT (workers/worker.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.worker import Worker

from activities.stub import HEARTBEAT
from tests.workflows.takeover_worker import WORKFLOW, Done, TakeoverWorkflow, Work, finish
from workers.worker import STICKY_QUEUE_TIMEOUT, worker_options

ROOT = Path(__file__).resolve().parents[2]


async def test_a_killed_workers_activity_is_retried_elsewhere_within_seconds(
        temporal_env: Any, temporal_address: str, tmp_path: Path) -> None:
    queue = f"takeover-{uuid.uuid4()}"
    marker = tmp_path / "started"
    first = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited on
        [sys.executable, "-m", "tests.workflows.takeover_worker", temporal_address, queue],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        client = temporal_env.client
        handle = await client.start_workflow(WORKFLOW, Work(marker=str(marker)),
                                             id=f"takeover-{uuid.uuid4()}", task_queue=queue,
                                             result_type=Done)
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert first.poll() is None, "the first worker exited"
            assert time.monotonic() < deadline, "the first worker never started the activity"
            await asyncio.sleep(0.1)
        # Alive, the first worker keeps its attempt past the heartbeat timeout: it heartbeats.
        await asyncio.sleep(HEARTBEAT.total_seconds() * 1.5)
        pending = (await handle.describe()).raw_description.pending_activities
        assert [p.attempt for p in pending] == [1]
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        async with Worker(client, task_queue=queue, workflows=[TakeoverWorkflow],
                          activities=[finish], **worker_options()):
            result = await asyncio.wait_for(handle.result(), 60)
        taken_over_in = time.monotonic() - killed_at
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    print(f"taken over {taken_over_in:.1f} s after the SIGKILL")
    assert result.by == "second worker"
    # The heartbeat timeout, then the dead worker's sticky queue timeout for the workflow task
    # that follows, with room for a slow machine; far below the 60 s start-to-close timeout
    # that bounded it before.
    bound = HEARTBEAT.total_seconds() + STICKY_QUEUE_TIMEOUT.total_seconds() + 4
    assert taken_over_in < bound, taken_over_in
