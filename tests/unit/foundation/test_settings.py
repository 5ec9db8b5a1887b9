"""Invalid settings are refused with a message that says which one and why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import Settings
from workers.worker import selected_queues
from workflows import task_queues

ROOT = Path(__file__).resolve().parents[3]


def test_libpq_urls_are_turned_into_the_async_dialect():
    s = Settings(database_url="postgresql://u:p@db:5432/x")
    assert s.effective_database_url == "postgresql+asyncpg://u:p@db:5432/x"


@pytest.mark.parametrize("field,value,needle", [
    ("database_url", "mysql://root@db/x", "DATABASE_URL must be a PostgreSQL URL"),
    ("temporal_address", "temporal", "TEMPORAL_ADDRESS must be host:port"),
    ("api_port", 70000, "less than or equal to 65535"),
])
def test_invalid_settings_are_refused(field: str, value: object, needle: str):
    with pytest.raises(ValidationError, match=needle):
        Settings(**{field: value})


def test_ports_must_differ():
    with pytest.raises(ValidationError, match="must differ"):
        Settings(api_port=7000, temporal_port=7000)


def test_the_cli_reports_invalid_settings_and_exits_2():
    env = dict(os.environ, DATABASE_URL="mysql://root@db/x")
    proc = subprocess.run([sys.executable, "-m", "workers", "migrate"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid settings" in proc.stderr
    assert "database_url" in proc.stderr


def test_task_queue_selection():
    assert selected_queues("all") == list(task_queues.ALL)
    assert selected_queues(f" {task_queues.LEDGER} ") == [task_queues.LEDGER]
    with pytest.raises(ValueError, match="unknown task queue"):
        selected_queues("nope")
