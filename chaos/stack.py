"""The whole stack on loopback for the workflow chaos scenarios, each part killable and
restartable on its own: PostgreSQL (durable settings), the Temporal dev server (its state in a
SQLite file: restarted on the same file and port, as an operator would), the API, two worker
processes on every queue (so one can be SIGKILLed while the other takes over), the events
dispatcher, the fake PSP (`python -m workers fake-psp`) and a webhook receiver in this process.

Everything is a child in its own session so a kill reaches exactly that part (PostgreSQL: the
postmaster and every backend, as a crash would)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

import httpx
import psutil
from sqlalchemy.ext.asyncio import create_async_engine

from storage import migrate
from workers.embedded_postgres import EmbeddedPostgres
from workers.temporal_dev import TemporalDevServer

ROOT = Path(__file__).resolve().parent.parent

# Short webhook backoffs and outbox polls so that retries and deliveries happen within a run of
# a minute or two (ISO 8601 durations: the settings refuse plain seconds in env strings).
CHAOS_ENV = {
    "LEDGERFLOW_WEBHOOKS_POLL_INTERVAL": "PT0.2S",
    "LEDGERFLOW_WEBHOOKS_MIN_BACKOFF": "PT0.5S",
    "LEDGERFLOW_WEBHOOKS_MAX_BACKOFF": "PT2S",
    "LEDGERFLOW_WEBHOOKS_HTTP_TIMEOUT": "PT5S",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook endpoint: counts each delivery by its stable id (`formance-webhook-id`) and
    answers 500 to the first attempt of every `fail_every`-th id, so retry workflows run."""

    def __init__(self, fail_every: int = 5) -> None:
        self.fail_every = fail_every
        self.attempts: Counter[str] = Counter()  # webhook id -> requests received
        self.ok: Counter[str] = Counter()  # webhook id -> 200 answers given
        self.exported: Counter[int] = Counter()  # ledger log id -> times a pipeline sent it
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=512)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                export = head.split(b" ", 2)[1] == b"/export"
                length, hook_id = 0, ""
                for line in head.lower().split(b"\r\n")[1:]:
                    if line.startswith(b"content-length:"):
                        length = int(line[15:])
                    elif line.startswith(b"formance-webhook-id:"):
                        hook_id = line[20:].strip().decode()
                body = await reader.readexactly(length) if length else b""
                if export:  # a ledger pipeline's batch: the logs it carries, counted
                    for log in json.loads(body or b"[]"):
                        self.exported[int(log["id"])] += 1
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                self.attempts[hook_id] += 1
                failing = (self.attempts[hook_id] == 1
                           and zlib.crc32(hook_id.encode()) % self.fail_every == 0)
                if failing:
                    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
                else:
                    self.ok[hook_id] += 1
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            return
        finally:
            writer.close()


def _kill_group(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _terminate(proc: subprocess.Popen[bytes] | None, timeout: float = 20.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)


class ChaosStack:
    def __init__(self, root: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.pg = EmbeddedPostgres(root / "pg", free_port(), max_connections=300)
        self.temporal = TemporalDevServer(root / "temporal" / "temporal.db", free_port(),
                                          free_port())
        self.api_port = free_port()
        self.psp_port = free_port()
        self.worker_count = workers
        self.extra_env = {**CHAOS_ENV, **(env or {})}
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * workers
        self.dispatcher: subprocess.Popen[bytes] | None = None
        self.psp: subprocess.Popen[bytes] | None = None
        self.receiver = Receiver()
        self.restarts: Counter[str] = Counter()

    @property
    def database_url(self) -> str:
        return self.pg.url("ledgerflow")

    @property
    def dsn(self) -> str:
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def psp_url(self) -> str:
        return f"http://127.0.0.1:{self.psp_port}"

    def env(self) -> dict[str, str]:
        return dict(os.environ, DATABASE_URL=self.database_url, API_PORT=str(self.api_port),
                    API_HOST="127.0.0.1", TEMPORAL_ADDRESS=self.temporal.address,
                    LOG_LEVEL="WARNING", AUTH_ENABLED="false", WORKER_TASK_QUEUES="all",
                    PYTHONPATH=str(ROOT), **self.extra_env)

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        return subprocess.Popen([sys.executable, "-m", "workers", *args], env=self.env(),
                                cwd=ROOT, stdout=log, stderr=log, start_new_session=True)

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.pg.start()
        self.pg.create_database("ledgerflow")
        engine = create_async_engine(self.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        await asyncio.to_thread(self.temporal.start)
        await self.receiver.start()
        self.psp = self._spawn("fake-psp", "fake-psp", "--port", str(self.psp_port),
                               "--accounts", "2", "--payments", "5")
        for i in range(self.worker_count):
            self.start_worker(i)
        self.start_dispatcher()
        await self.start_api()

    def start_worker(self, index: int) -> None:
        self.workers[index] = self._spawn(f"worker-{index}", "worker")

    def kill_worker(self, index: int) -> None:
        _kill_group(self.workers[index])
        self.restarts[f"worker-{index} killed"] += 1

    def start_dispatcher(self) -> None:
        self.dispatcher = self._spawn("dispatcher", "dispatcher")

    def kill_dispatcher(self) -> None:
        _kill_group(self.dispatcher)
        self.restarts["dispatcher killed"] += 1

    def kill_temporal(self) -> None:
        proc, self.temporal.process = self.temporal.process, None
        _kill_group(proc)
        self.restarts["temporal killed"] += 1

    async def start_temporal(self) -> None:
        # The same SQLite file and ports: workflows, task queues and timers come back.
        deadline = time.monotonic() + 30
        while True:
            try:
                await asyncio.to_thread(self.temporal.start)
                return
            except RuntimeError:  # a port still held by the dying process
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    def kill_pg(self) -> None:
        _kill_group(self.pg.process)
        self.pg.process = None
        self.restarts["postgres killed"] += 1

    async def start_pg(self) -> None:
        await asyncio.to_thread(self.pg.start)

    async def start_api(self) -> None:
        self.api = self._spawn("api", "api")
        deadline = time.monotonic() + 90
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.api.poll() is not None:
                    raise RuntimeError(f"the API exited; see {self.root / 'api.log'}")
                with contextlib.suppress(httpx.HTTPError):
                    r = await client.get(f"{self.base_url}/api/ledger/_info", timeout=1)
                    if r.status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise RuntimeError("the API did not start")

    def processes(self) -> dict[str, subprocess.Popen[bytes] | None]:
        found: dict[str, subprocess.Popen[bytes] | None] = {
            "api": self.api, "dispatcher": self.dispatcher}
        for i, proc in enumerate(self.workers):
            found[f"worker-{i}"] = proc
        return found

    def rss_mb(self) -> dict[str, float]:
        out = {}
        for name, proc in self.processes().items():
            if proc is None or proc.poll() is not None:
                continue
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(proc.pid)
                out[name] = round(sum(p.memory_info().rss for p in
                                      [root, *root.children(recursive=True)]) / 2**20, 1)
        return out

    def log_lines(self, pattern: str) -> dict[str, int]:
        counts = {}
        for path in sorted(self.root.glob("*.log")):
            counts[path.stem] = sum(pattern in line for line in
                                    path.read_text(errors="replace").splitlines())
        return counts

    async def stop(self) -> None:
        await self.receiver.close()
        _terminate(self.dispatcher)
        for proc in self.workers:
            _terminate(proc)
        _terminate(self.api)
        _terminate(self.psp)
        await asyncio.to_thread(self.temporal.stop)
        await asyncio.to_thread(self.pg.stop)
