"""`make run`: the whole stack on one machine, as child processes of this supervisor.

Order: PostgreSQL, Temporal dev server, migrations, workers, API. Children run in their own
sessions so a Ctrl-C reaches only us; we then stop them in reverse order, each gracefully, and
leave no process behind. Anything given by DATABASE_URL / TEMPORAL_ADDRESS is used instead of
the embedded one."""

from __future__ import annotations

import asyncio
import json
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


BOOTSTRAP_CLIENT_ID = "ledgerflow-bootstrap"


def _bootstrap_credentials(settings: Settings) -> tuple[str, str]:
    """The bootstrap client's id and secret: from AUTH_BOOTSTRAP_CLIENT_ID/SECRET when set, else
    from .data/bootstrap-client.json, written (mode 0600) with a fresh secret at first start.
    PostgreSQL keeps only a hash, so this file is what lets later starts print the secret."""
    if settings.auth_bootstrap_client_id and settings.auth_bootstrap_client_secret:
        return (settings.auth_bootstrap_client_id,
                settings.auth_bootstrap_client_secret.get_secret_value())
    path = settings.data_dir / "bootstrap-client.json"
    if path.exists():
        saved = json.loads(path.read_text())
        return str(saved["client_id"]), str(saved["client_secret"])
    from domain.auth.secrets import generate_secret

    creds = {"client_id": BOOTSTRAP_CLIENT_ID, "client_secret": generate_secret()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(creds, f)
    return creds["client_id"], creds["client_secret"]


async def _ensure_auth_bootstrap(settings: Settings, client_id: str, secret: str) -> None:
    from storage.auth.bootstrap import apply_bootstrap_settings
    from storage.database import Database

    db = Database(settings.effective_database_url, pool_size=1)
    try:
        await apply_bootstrap_settings(db, client_id=client_id, client_secret=secret,
                                       user_email=settings.auth_bootstrap_user_email)
    finally:
        await db.dispose()


def _prepare_auth(settings: Settings, env: dict[str, str], base: str) -> str:
    """`make run` serves with auth on unless AUTH_ENABLED says otherwise, and makes sure a
    client holding every scope exists. Returns the banner lines."""
    enabled = settings.auth_enabled if "auth_enabled" in settings.model_fields_set else True
    env["AUTH_ENABLED"] = "true" if enabled else "false"
    if "public_base_url" not in settings.model_fields_set:
        env["PUBLIC_BASE_URL"] = base  # the issuer must name the URL clients really use
    if not enabled:
        return "  Auth         off (AUTH_ENABLED=false): no token needed\n"
    client_id, secret = _bootstrap_credentials(settings)
    asyncio.run(_ensure_auth_bootstrap(settings, client_id, secret))
    return (
        f"  Auth         token URL {base}/api/auth/oauth/token (client_credentials)\n"
        f"               client_id={client_id}\n"
        f"               client_secret={secret}\n"
    )


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
        base = f"http://{settings.api_host}:{settings.api_port}"
        auth_banner = _prepare_auth(settings, env, base)
        children["workers"] = _child(["worker"], env)
        children["dispatcher"] = _child(["dispatcher"], env)
        children["api"] = _child(["api"], env)
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
            f"{auth_banner}"
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
        for name in ("api", "dispatcher", "workers"):
            if name in children:
                _terminate(children[name], name)
        if temporal:
            temporal.stop()
        if postgres:
            postgres.stop()
        print("stopped.", flush=True)
