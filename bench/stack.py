"""A throwaway stack for benchmarks: its own PostgreSQL (durable settings, like production) and
the API as a separate uvicorn process, exactly as `make run` starts it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from sqlalchemy.ext.asyncio import create_async_engine

from storage import migrate
from workers.embedded_postgres import EmbeddedPostgres


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MemorySampler:
    """Peak RSS of a process tree (uvicorn workers included), sampled every 100 ms."""

    pid: int
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                self.peak_mb = max(self.peak_mb, rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.1)

    def stop(self) -> float:
        self._stop.set()
        return round(self.peak_mb, 1)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (PostgreSQL's backends are
    children of its postmaster; uvicorn's workers of the API process)."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        reaped = root.cpu_times()  # children that exited (backends, autovacuum) count there
        total += reaped.children_user + reaped.children_system
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return total


class BenchStack:
    def __init__(self, root: Path, *, api_workers: int = 1, pool_size: int = 20,
                 env: dict[str, str] | None = None) -> None:
        self.root = root
        self.api_workers = api_workers
        self.pool_size = pool_size
        self.extra_env = env or {}
        self.pg: EmbeddedPostgres | None = None
        self.api: subprocess.Popen[bytes] | None = None
        self.api_port = free_port()

    @property
    def database_url(self) -> str:
        assert self.pg
        return self.pg.url("ledgerflow")

    def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self.pg = EmbeddedPostgres(self.root / "pg", free_port(), max_connections=300)
        self.pg.start()
        self.pg.create_database("ledgerflow")
        asyncio.run(self._migrate())
        self.start_api()

    async def _migrate(self) -> None:
        engine = create_async_engine(self.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    def start_api(self) -> None:
        env = dict(os.environ, DATABASE_URL=self.database_url, API_PORT=str(self.api_port),
                   API_WORKERS=str(self.api_workers), DATABASE_POOL_SIZE=str(self.pool_size),
                   TEMPORAL_ADDRESS="127.0.0.1:1", LOG_LEVEL="WARNING", **self.extra_env)
        self.api = subprocess.Popen([sys.executable, "-m", "workers", "api"], env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.api_port}/api/ledger/_info",
                             timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the API did not start")

    def stop_api(self) -> None:
        if self.api and self.api.poll() is None:
            self.api.terminate()
            self.api.wait(20)

    def stop(self) -> None:
        self.stop_api()
        if self.pg:
            self.pg.stop()
