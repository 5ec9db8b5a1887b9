"""A connection cut while a write holds its turn, between two of its statements: the write's
next read must fail as a connection failure (run again, or 503), never as a bug (500).

asyncpg hands a checked-out connection back to the pool the moment its socket is lost,
detaching the proxy the turn still holds, so the next call says "connection has been released
back to the pool" (storage/failures.py). The flaky concurrent test of test_commit_outcomes.py
hit this by chance; here the cut lands there every time."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from domain.availability import DatabaseUnavailableError
from domain.ledger.errors import TransientWriteError
from storage.database import Database
from storage.failures import is_connection_failure
from storage.ledger.store import PgLedgerStore
from storage.ledger.writes import PgLedgerWriter
from tests.integration.ledger.helpers import create_ledger
from tests.support.fault_proxy import FaultProxy


async def _cut_under(w: PgLedgerWriter, fault_proxy: FaultProxy) -> None:
    """Cuts every connection and waits until asyncpg has noticed the cut of `w`'s."""
    fault_proxy.cut_all()
    for _ in range(200):
        try:
            if w.conn.is_closed():  # the proxy still attached, its socket closed
                return
        except asyncpg.InterfaceError as exc:  # the proxy detached: released on close
            assert is_connection_failure(exc), exc
            return
        await asyncio.sleep(0.01)
    pytest.fail("the cut was never seen")


async def test_a_read_in_a_lone_turn_after_a_cut_is_a_connection_failure(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, proxied_database: Database
        ) -> None:
    ledger = await create_ledger(client, "lone")
    store = PgLedgerStore(proxied_database)
    with pytest.raises((DatabaseUnavailableError, TransientWriteError)):
        async with store.writer(ledger) as w:  # a batch of one: autocommit
            await _cut_under(w, fault_proxy)
            await w.get_balances({"bank": {"USD"}})
    assert fault_proxy.cuts > 0
    async with store.writer(ledger) as w:  # and the next write gets a working connection
        assert await w.get_balances({"bank": {"USD"}}) == {"bank": {"USD": 0}}


async def test_a_read_in_a_batched_turn_after_a_cut_is_a_connection_failure(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, proxied_database: Database
        ) -> None:
    ledger = await create_ledger(client, "batched")
    store = PgLedgerStore(proxied_database)
    release_first = asyncio.Event()
    outcomes: dict[str, BaseException | None] = {}

    async def first() -> None:  # holds a batch of one while the others queue behind it
        async with store.writer(ledger) as w:
            await w.get_balances({"bank": {"USD"}})
            await release_first.wait()

    async def cut_in_turn() -> None:  # first turn of the next batch: cut, then read
        try:
            async with store.writer(ledger) as w:
                await _cut_under(w, fault_proxy)
                await w.get_balances({"bank": {"USD"}})
            outcomes["cut"] = None
        except BaseException as exc:
            outcomes["cut"] = exc

    async def behind() -> None:  # second turn of that batch
        try:
            async with store.writer(ledger) as w:
                await w.get_balances({"bank": {"USD"}})
            outcomes["behind"] = None
        except BaseException as exc:
            outcomes["behind"] = exc

    holder = asyncio.create_task(first())
    await asyncio.sleep(0.2)
    cutter = asyncio.create_task(cut_in_turn())
    await asyncio.sleep(0.05)
    follower = asyncio.create_task(behind())
    await asyncio.sleep(0.05)
    release_first.set()
    await asyncio.wait_for(asyncio.gather(holder, cutter, follower), 30)
    assert fault_proxy.cuts > 0
    # Inside the batch's transaction nothing was committed: both are told to run again.
    assert isinstance(outcomes["cut"], TransientWriteError), repr(outcomes["cut"])
    assert isinstance(outcomes["behind"], TransientWriteError), repr(outcomes["behind"])


async def test_a_turn_that_ended_well_just_before_a_cut_is_told_at_once(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, proxied_database: Database
        ) -> None:
    """Its turn ended (it waits for the COMMIT), then its savepoint's RELEASE fails on the cut
    connection: nothing was committed, and it must hear so at once (run again), not wait out
    COMMIT_TIMEOUT_S and answer "outcome unknown"."""
    ledger = await create_ledger(client, "released")
    store = PgLedgerStore(proxied_database)
    release_first = asyncio.Event()

    async def first() -> None:
        async with store.writer(ledger) as w:
            await w.get_balances({"bank": {"USD"}})
            await release_first.wait()

    async def cut_after_work() -> None:
        async with store.writer(ledger) as w:
            await w.get_balances({"bank": {"USD"}})
            await _cut_under(w, fault_proxy)  # then the turn ends well

    async def behind() -> None:
        async with store.writer(ledger) as w:
            await w.get_balances({"bank": {"USD"}})

    holder = asyncio.create_task(first())
    await asyncio.sleep(0.2)
    cutter = asyncio.create_task(cut_after_work())
    await asyncio.sleep(0.05)
    follower = asyncio.create_task(behind())
    await asyncio.sleep(0.05)
    release_first.set()
    results = await asyncio.wait_for(
        asyncio.gather(holder, cutter, follower, return_exceptions=True), 10)
    assert results[0] is None
    assert isinstance(results[1], TransientWriteError), repr(results[1])
    assert isinstance(results[2], TransientWriteError), repr(results[2])
