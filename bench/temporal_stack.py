"""A throwaway stack with Temporal, for the webhook and Temporal-path benchmarks: PostgreSQL and
the Temporal dev server on free ports in a directory of their own, then the API, one
`python -m workers worker` and one `python -m workers dispatcher` as subprocesses, exactly as
`make run` starts them. `env` overrides settings of every child (e.g. short webhook backoffs).
Everything listens on 127.0.0.1; `stop()` (also on a failed start) ends every child it started."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from bench.stack import BenchStack, free_port
from workers.temporal_dev import TemporalDevServer

ROOT = Path(__file__).resolve().parent.parent


class TemporalBenchStack(BenchStack):
    def __init__(self, root: Path, *, env: dict[str, str] | None = None,
                 pool_size: int = 20) -> None:
        super().__init__(root, api_workers=1, pool_size=pool_size, env=env)
        self.temporal: TemporalDevServer | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.dispatcher: subprocess.Popen[bytes] | None = None
        self._logs: list[object] = []

    @property
    def temporal_address(self) -> str:
        assert self.temporal
        return self.temporal.address

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> None:
        try:
            # BenchStack.start wipes the directory, starts PostgreSQL, migrates and calls
            # start_api, which starts Temporal first (the API needs its address).
            super().start()
            self.worker = self._spawn("worker")
            self.dispatcher = self._spawn("dispatcher")
            self._wait_workers_polling()
        except BaseException:
            self.stop()
            raise

    def child_env(self) -> dict[str, str]:
        assert self.pg and self.temporal
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url, API_PORT=str(self.api_port),
            API_WORKERS=str(self.api_workers), DATABASE_POOL_SIZE=str(self.pool_size),
            POSTGRES_PORT=str(self.pg.port), TEMPORAL_ADDRESS=self.temporal.address,
            TEMPORAL_PORT=str(self.temporal.port), TEMPORAL_UI_PORT=str(self.temporal.ui_port),
            LOG_LEVEL="WARNING", AUTH_ENABLED="false", WORKER_TASK_QUEUES="all",
        )
        env.update(self.extra_env)
        return env

    def start_api(self) -> None:
        if self.temporal is None:
            self.temporal = TemporalDevServer(self.root / "temporal" / "temporal.db",
                                              free_port(), free_port())
            self.temporal.start()
        self.api = self._spawn("api")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"the API exited (code {self.api.returncode}); see "
                                   f"{self.root / 'api.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/api/ledger/_info", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("the API did not start")

    def _spawn(self, command: str) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{command}.log", "ab")  # noqa: SIM115 - the child keeps it
        self._logs.append(log)
        return subprocess.Popen([sys.executable, "-m", "workers", command], env=self.child_env(),
                                cwd=ROOT, stdout=log, stderr=log)

    def _wait_workers_polling(self, timeout: float = 60.0) -> None:
        """Until the worker's pollers are registered on the wallets, ledger and webhooks queues
        (so the first measured workflow does not wait for the worker to boot)."""
        import asyncio

        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        from workflows import task_queues
        from workflows.client import connect

        async def polled() -> bool:
            client = await connect(self.temporal_address)
            for queue in (task_queues.WALLETS, task_queues.LEDGER, task_queues.WEBHOOKS):
                for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                             TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
                    resp = await client.workflow_service.describe_task_queue(
                        DescribeTaskQueueRequest(namespace="default",
                                                 task_queue=TaskQueue(name=queue),
                                                 task_queue_type=kind))
                    if not resp.pollers:
                        return False
            return True

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in (("worker", self.worker), ("dispatcher", self.dispatcher)):
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"the {name} exited (code {proc.returncode}); see "
                                       f"{self.root / f'{name}.log'}")
            with contextlib.suppress(Exception):
                if asyncio.run(polled()):
                    return
            time.sleep(0.5)
        raise RuntimeError("the worker did not start polling its task queues")

    def processes(self) -> dict[str, int]:
        """pid of each child process, for CPU accounting."""
        found = {"api": self.api, "worker": self.worker, "dispatcher": self.dispatcher,
                 "temporal": self.temporal.process if self.temporal else None,
                 "postgres": self.pg.process if self.pg else None}
        return {name: proc.pid for name, proc in found.items() if proc is not None}

    def cpu_clock(self) -> CpuClock:
        return CpuClock(self.processes())

    def stop(self) -> None:
        # Producers first (dispatcher, worker, API), then Temporal, then PostgreSQL.
        for name in ("dispatcher", "worker"):
            proc = getattr(self, name)
            setattr(self, name, None)
            _terminate(proc)
        self.stop_api()
        if self.temporal:
            self.temporal.stop()
            self.temporal = None
        if self.pg:
            self.pg.stop()
            self.pg = None
        for log in self._logs:
            with contextlib.suppress(Exception):
                log.close()  # type: ignore[attr-defined]
        self._logs.clear()

    def stop_api(self) -> None:
        proc, self.api = self.api, None
        _terminate(proc)


def _terminate(proc: subprocess.Popen[bytes] | None, timeout: float = 20.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class CpuClock:
    """CPU used over a phase by each child (its process tree: postgres backends, uvicorn
    workers) and by this process (load generator and receiver), as % of one core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "bench": os.getpid()}
        self.wall = time.perf_counter()
        self.start = self._sample()

    def _sample(self) -> dict[str, float]:
        out = {}
        for name, pid in self.pids.items():
            total = 0.0
            try:
                root = psutil.Process(pid)
                tree = [root] if name == "bench" else [root, *root.children(recursive=True)]
                for proc in tree:
                    with contextlib.suppress(psutil.Error):
                        times = proc.cpu_times()
                        total += times.user + times.system
            except psutil.Error:
                pass
            out[name] = total
        return out

    def report(self) -> dict[str, float]:
        wall = max(time.perf_counter() - self.wall, 1e-9)
        end = self._sample()
        return {f"cpu_{name}_pct": round(100 * (end[name] - self.start[name]) / wall, 1)
                for name in self.pids}
