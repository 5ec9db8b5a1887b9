"""Group commit: writes arriving together share one COMMIT, yet each one succeeds or fails on
its own, and none is acknowledged before it is durable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from domain.ledger.errors import TransientWriteError
from storage.database import Database
from storage.ledger.batch_write import BatchWriter
from storage.ledger.group_commit import GroupCommitter


def committer_for(database: Database) -> GroupCommitter:
    @asynccontextmanager
    async def connect() -> AsyncIterator[asyncpg.Connection]:
        async with database.engine.connect() as sa_conn:
            raw = await sa_conn.get_raw_connection()
            yield raw.driver_connection  # type: ignore[misc]

    return GroupCommitter(connect, BatchWriter("probe"))


async def _setup(database: Database) -> None:
    async with database.engine.connect() as sa_conn:
        raw = await sa_conn.get_raw_connection()
        conn = raw.driver_connection
        await conn.execute(
            "CREATE TABLE gc_probe (n int PRIMARY KEY, "
            "u int UNIQUE DEFERRABLE INITIALLY DEFERRED)")


async def _rows(database: Database) -> list[int]:
    async with database.engine.connect() as sa_conn:
        raw = await sa_conn.get_raw_connection()
        rows = await raw.driver_connection.fetch("SELECT n FROM gc_probe ORDER BY n")
    return [r["n"] for r in rows]


async def test_a_failing_write_rolls_back_alone_and_the_batch_commits(database: Database):
    await _setup(database)
    committer = committer_for(database)
    batches: list[bool] = []

    async def write(n: int) -> int:
        async with committer.turn() as turn:
            batches.append(turn.in_batch)
            await turn.conn.execute("INSERT INTO gc_probe (n) VALUES ($1)", n)
            if n % 5 == 0:
                raise ValueError(f"business failure {n}")
            await asyncio.sleep(0)  # let the others queue up behind this turn
        return n

    results = await asyncio.gather(*(write(n) for n in range(1, 41)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, ValueError)]
    assert len(failed) == 8
    assert await _rows(database) == [n for n in range(1, 41) if n % 5]
    assert any(batches), "concurrent writes should have shared a transaction"


async def test_a_failed_commit_fails_every_write_of_the_batch(database: Database):
    await _setup(database)
    committer = committer_for(database)

    async def write(n: int) -> int:
        async with committer.turn() as turn:
            # Every write sets u = 1: the deferred unique check fails only at COMMIT.
            await turn.conn.execute("INSERT INTO gc_probe (n, u) VALUES ($1, 1)", n)
        return n

    first = await write(100)  # alone: autocommit, succeeds
    assert first == 100
    results = await asyncio.gather(*(write(n) for n in range(1, 6)), return_exceptions=True)
    # The first of the five runs alone (and fails on its own); the rest share a batch whose
    # COMMIT fails: none of them may be acknowledged.
    assert all(isinstance(r, (TransientWriteError, asyncpg.UniqueViolationError))
               for r in results), results
    assert await _rows(database) == [100]


async def test_a_cancelled_waiter_leaves_the_queue_without_blocking_it(database: Database):
    await _setup(database)
    committer = committer_for(database)
    release = asyncio.Event()

    async def slow() -> None:
        async with committer.turn() as turn:
            await turn.conn.execute("INSERT INTO gc_probe (n) VALUES (1)")
            await release.wait()

    async def quick(n: int) -> None:
        async with committer.turn() as turn:
            await turn.conn.execute("INSERT INTO gc_probe (n) VALUES ($1)", n)

    holder = asyncio.create_task(slow())
    await asyncio.sleep(0.05)
    doomed = asyncio.create_task(quick(2))
    survivor = asyncio.create_task(quick(3))
    await asyncio.sleep(0.05)
    doomed.cancel()
    release.set()
    await holder
    await survivor
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert await _rows(database) == [1, 3]
