"""While PostgreSQL is away, an outbox consumer's failed batches are one rate-limited warning
line each, without a traceback (an operator reads the outage, not a wall of stacks); a failing
consumer (a bug) still logs its traceback. Found by make chaos outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import insert

from domain.availability import DatabaseUnavailableError
from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.outbox import events_outbox


class Failing:
    name = "test-failing"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def handle(self, events: Sequence[Any], conn: Any) -> None:
        raise self.error


async def _run_briefly(database: Database, consumer: Failing) -> None:
    async with database.transaction() as conn:
        await conn.execute(insert(events_outbox), [
            {"app": "ledger", "type": "COMMITTED_TRANSACTIONS", "envelope": {}}])
    stop = asyncio.Event()
    task = asyncio.create_task(OutboxDispatcher(database, consumer).run(stop, poll_interval=0.01))
    await asyncio.sleep(0.3)
    stop.set()
    await task


async def test_database_unavailable_is_one_quiet_line(
        database: Database, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        await _run_briefly(database, Failing(DatabaseUnavailableError()))
    lines = [r for r in caplog.records if "test-failing" in r.getMessage()]
    assert lines, "the outage is logged"
    assert all(r.exc_info is None for r in lines), "no traceback while the database is away"
    assert len(lines) <= 2, "rate-limited (about 30 failed batches in 0.3 s)"


async def test_a_failing_consumer_keeps_its_traceback(
        database: Database, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        await _run_briefly(database, Failing(KeyError("a bug")))
    lines = [r for r in caplog.records if "test-failing" in r.getMessage()]
    assert lines and all(r.exc_info is not None for r in lines)
