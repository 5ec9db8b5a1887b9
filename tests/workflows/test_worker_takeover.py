"""Worker pools with real worker processes (tests/workflows/takeover_worker.py, served like
production: workers/pool.py options, workers/worker.py `poll_until`, SIGTERM drains).

- Two processes poll one queue; the one running the activity is SIGKILLed; the other finishes
  the work within seconds, not after the activity's start-to-close timeout: the heartbeat every
  activity sends (activities/defn.py) stops, Temporal times the attempt out after the stub's
  heartbeat timeout (activities/stub.py), and the workflow task that follows leaves the dead
  worker's sticky queue after STICKY_QUEUE_TIMEOUT (workers/worker.py).
- SIGTERM mid-activity drains: the process stops polling, its activity completes there (no
  retry elsewhere), and it exits 0 within the grace period.
- An activity longer than the grace is cancelled when the grace ends, the process still exits
  0 on time, and the attempt is retried by another worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.worker import Worker

from activities.stub import HEARTBEAT
from tests.workflows.takeover_worker import WORKFLOW, Done, TakeoverWorkflow, Work, work_activity
from workers.worker import STICKY_QUEUE_TIMEOUT, worker_options

ROOT = Path(__file__).resolve().parents[2]

Spawn = Callable[[float], subprocess.Popen[bytes]]


@asynccontextmanager
async def worker_processes(temporal_address: str, queue: str) -> AsyncIterator[Spawn]:
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(grace: float) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.workflows.takeover_worker", temporal_address, queue,
             str(grace)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        procs.append(proc)
        return proc

    try:
        yield spawn
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def _pid_in(marker: Path) -> int | None:
    text = marker.read_text() if marker.exists() else ""
    return int(text) if text else None


async def _started(marker: Path, procs: list[subprocess.Popen[bytes]]) -> int:
    """The pid of the process whose activity attempt has started."""
    deadline = time.monotonic() + 60
    while (pid := _pid_in(marker)) is None:
        assert all(p.poll() is None for p in procs), "a worker exited"
        assert time.monotonic() < deadline, "no worker started the activity"
        await asyncio.sleep(0.1)
    return pid


async def _start(temporal_env: Any, queue: str, work: Work) -> WorkflowHandle[Any, Done]:
    return await temporal_env.client.start_workflow(
        WORKFLOW, work, id=f"takeover-{uuid.uuid4()}", task_queue=queue, result_type=Done)


async def _exited_within(proc: subprocess.Popen[bytes], seconds: float) -> float:
    began = time.monotonic()
    while proc.poll() is None:
        assert time.monotonic() - began < seconds, f"still running after {seconds} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - began


async def test_two_workers_on_one_queue_the_killed_ones_activity_is_finished_by_the_other(
        temporal_env: Any, temporal_address: str, tmp_path: Path) -> None:
    queue = f"takeover-{uuid.uuid4()}"
    marker = tmp_path / "started"
    async with worker_processes(temporal_address, queue) as spawn:
        procs = [spawn(30), spawn(30)]
        handle = await _start(temporal_env, queue, Work(marker=str(marker)))
        running = await _started(marker, procs)
        victim = next(p for p in procs if p.pid == running)
        survivor = next(p for p in procs if p.pid != running)
        # Alive, the worker keeps its attempt past the heartbeat timeout: it heartbeats.
        await asyncio.sleep(HEARTBEAT.total_seconds() * 1.5)
        pending = (await handle.describe()).raw_description.pending_activities
        assert [p.attempt for p in pending] == [1]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        killed_at = time.monotonic()
        result = await asyncio.wait_for(handle.result(), 60)
        taken_over_in = time.monotonic() - killed_at
        assert survivor.poll() is None
    print(f"taken over {taken_over_in:.1f} s after the SIGKILL")
    assert result == Done(by=f"pid {survivor.pid}", attempt=2)
    # The heartbeat timeout, then the dead worker's sticky queue timeout for the workflow task
    # that follows, with room for a slow machine; far below the 60 s start-to-close timeout.
    bound = HEARTBEAT.total_seconds() + STICKY_QUEUE_TIMEOUT.total_seconds() + 4
    assert taken_over_in < bound, taken_over_in


async def _finish_in_process(temporal_env: Any, queue: str,
                             handle: WorkflowHandle[Any, Done]) -> Done:
    """Once the pool's process has gone, a worker here completes the workflow."""
    async with Worker(temporal_env.client, task_queue=queue, workflows=[TakeoverWorkflow],
                      activities=[work_activity("in-process")], **worker_options()):
        return await asyncio.wait_for(handle.result(), 60)


async def test_sigterm_drains_the_activity_in_flight_and_exits_0(
        temporal_env: Any, temporal_address: str, tmp_path: Path) -> None:
    queue = f"drain-{uuid.uuid4()}"
    marker = tmp_path / "started"
    hold = 3.0
    async with worker_processes(temporal_address, queue) as spawn:
        proc = spawn(20)
        handle = await _start(temporal_env, queue, Work(marker=str(marker), hold_seconds=hold))
        await _started(marker, [proc])
        proc.send_signal(signal.SIGTERM)
        took = await _exited_within(proc, 20)
        assert proc.returncode == 0
    print(f"drained and exited {took:.1f} s after SIGTERM (activity held {hold} s)")
    # The attempt finished in the draining process: the workflow has its answer, attempt 1.
    assert await _finish_in_process(temporal_env, queue, handle) == \
        Done(by=f"pid {proc.pid}", attempt=1)


async def test_an_activity_longer_than_the_grace_is_cancelled_and_retried_elsewhere(
        temporal_env: Any, temporal_address: str, tmp_path: Path) -> None:
    queue = f"drain-{uuid.uuid4()}"
    marker = tmp_path / "started"
    grace = 1.0
    async with worker_processes(temporal_address, queue) as spawn:
        proc = spawn(grace)
        handle = await _start(temporal_env, queue, Work(marker=str(marker)))
        await _started(marker, [proc])
        proc.send_signal(signal.SIGTERM)
        took = await _exited_within(proc, grace + 10)
        assert proc.returncode == 0
    print(f"exited {took:.1f} s after SIGTERM with a {grace} s grace")
    assert await _finish_in_process(temporal_env, queue, handle) == \
        Done(by="in-process", attempt=2)
