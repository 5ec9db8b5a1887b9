"""`make run`: the whole stack on one machine, as child processes of this supervisor.

Order: PostgreSQL, Temporal dev server, migrations, workers, API. Children run in their own
sessions so a Ctrl-C reaches only us; we then stop them in reverse order, each gracefully, and
leave no process behind. Anything given by DATABASE_URL / TEMPORAL_ADDRESS is used instead of
the embedded one."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from config.settings import Settings
from storage import migrate
from workers.embedded_postgres import EmbeddedPostgres
from workers.temporal_dev import TemporalDevServer

log = logging.getLogger("ledgerflow.dev")
logging.getLogger("httpx").setLevel(logging.WARNING)  # the health polling would flood the console


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _child(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "workers", *args], env=env,
                            start_new_session=True)


def _terminate(proc: subprocess.Popen[bytes], name: str, timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning("%s did not stop within %.0fs; killing it", name, timeout)
        proc.kill()
        proc.wait()


def _wait_healthy(url: str, procs: dict[str, subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"the {name} process exited (code {proc.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} was not healthy within {timeout:.0f}s")


async def _migrate(url: str) -> None:
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def run(settings: Settings) -> int:
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    postgres: EmbeddedPostgres | None = None
    temporal: TemporalDevServer | None = None
    children: dict[str, subprocess.Popen[bytes]] = {}
    started = time.monotonic()
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.database_url is None:
            postgres = EmbeddedPostgres(settings.data_dir / "postgres", settings.postgres_port)
            postgres.start()
            postgres.create_database("ledgerflow")
        if settings.temporal_address is None:
            temporal = TemporalDevServer(settings.data_dir / "temporal.db", settings.temporal_port,
                                         settings.temporal_ui_port, settings.temporal_namespace)
            temporal.start()
        asyncio.run(_migrate(settings.effective_database_url))
        env = dict(os.environ, DATABASE_URL=settings.effective_database_url,
                   TEMPORAL_ADDRESS=settings.effective_temporal_address)
        children["workers"] = _child(["worker"], env)
        children["api"] = _child(["api"], env)
        base = f"http://{settings.api_host}:{settings.api_port}"
        _wait_healthy(f"{base}/_healthcheck", children, timeout=90)
        ui = (f"http://127.0.0.1:{settings.temporal_ui_port}" if temporal
              else "(external Temporal)")
        print(
            f"\nLedgerflow is up in {time.monotonic() - started:.1f}s\n"
            f"  API          {base}   (try {base}/versions)\n"
            f"  OpenAPI      {base}/api/docs\n"
            f"  Temporal UI  {ui}\n"
            f"  PostgreSQL   {settings.effective_database_url}\n"
            f"  Temporal     {settings.effective_temporal_address}\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        while True:
            for name, proc in children.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"the {name} process exited (code {proc.returncode})")
            time.sleep(0.5)
    except _Stop as stop:
        print(f"\n{stop.args[0]} received: stopping Ledgerflow...", flush=True)
        return 0
    except Exception as exc:
        print(f"ledgerflow: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut cleanup short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name in ("api", "workers"):
            if name in children:
                _terminate(children[name], name)
        if temporal:
            temporal.stop()
        if postgres:
            postgres.stop()
        print("stopped.", flush=True)
