"""A write whose COMMIT gets no answer is read back, never re-run blindly: it is answered with
the truth (its transaction if it committed, a retry if not), never written twice and never
refused for a reason it did not have."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from storage.database import Database
from storage.ledger import batch_write
from tests.integration.ledger.helpers import BASE, create_ledger, posting, send
from tests.support.fault_proxy import FaultProxy


async def _count(database: Database, probe: str) -> int:
    async with database.transaction() as conn:
        return int((await conn.execute(text(
            "SELECT count(*) FROM transactions WHERE metadata->>'probe' = :p"),
            {"p": probe})).scalar_one())


async def _balance(database: Database, ledger: str, address: str) -> int:
    async with database.transaction() as conn:
        value = (await conn.execute(text(
            "SELECT input - output FROM accounts_volumes WHERE ledger = :l AND address = :a "
            "AND asset = 'USD'"), {"l": ledger, "a": address})).scalar_one_or_none()
    return int(value or 0)


def _created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()["data"]
    return data


@pytest.mark.parametrize("way", ["optimistic", "locked"])
async def test_a_keyless_write_whose_reply_is_lost_is_answered_once_and_written_once(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database, way: str
        ) -> None:
    ledger = await create_ledger(client, "lost")
    # Two writes: the ledger head is known (the next batch is one autocommit statement) and
    # the caches are warm (the next COMMIT on the wire is the write's).
    _created(await send(client, ledger, posting("world", "users:0", 1)))
    _created(await send(client, ledger, posting("world", "users:0", 1)))
    if way == "optimistic":
        fault_proxy.lose_reply_after(b"lost-reply-1")  # the statement's reply
    else:
        # A metadata write moves the head behind the batch writer's back: the next batch is
        # LOCKED (BEGIN ... COMMIT), and the reply to its COMMIT is lost.
        r = await client.post(f"{BASE}/{ledger}/accounts/users:0/metadata", json={"k": "v"})
        assert r.status_code == 204, r.text
        fault_proxy.lose_reply_after(b"COMMIT")
    r = await send(client, ledger, posting("world", "users:1", 100),
                   metadata={"probe": "lost-reply-1"})
    tx = _created(r)
    assert fault_proxy.replies_lost == 1, "the fault did not happen"
    assert tx["metadata"]["probe"] == "lost-reply-1"
    assert tx["postCommitVolumes"]["users:1"]["USD"] == {"input": 100, "output": 0,
                                                         "balance": 100}
    assert await _count(database, "lost-reply-1") == 1
    # and the ledger goes on
    _created(await send(client, ledger, posting("world", "users:1", 1),
                        metadata={"probe": "after"}))
    assert await _balance(database, ledger, "users:1") == 101


async def test_a_keyless_write_that_never_reached_the_server_is_written_once(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database) -> None:
    ledger = await create_ledger(client, "dropped")
    fault_proxy.drop_request(b"dropped-1")
    _created(await send(client, ledger, posting("world", "users:1", 100),
                        metadata={"probe": "dropped-1"}))
    assert fault_proxy.requests_dropped == 1
    assert await _count(database, "dropped-1") == 1


async def test_a_keyed_write_whose_reply_is_lost_is_written_once_and_replays(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database) -> None:
    ledger = await create_ledger(client, "keyed")
    _created(await send(client, ledger, posting("world", "users:0", 1)))  # warm caches
    fault_proxy.lose_reply_after(b"COMMIT")  # a keyed batch is BEGIN ... COMMIT
    body = (posting("world", "users:1", 100),)
    first = _created(await send(client, ledger, *body, metadata={"probe": "keyed-1"},
                                headers={"Idempotency-Key": "k-1"}))
    assert fault_proxy.replies_lost == 1
    again = await send(client, ledger, *body, metadata={"probe": "keyed-1"},
                       headers={"Idempotency-Key": "k-1"})
    assert _created(again)["id"] == first["id"]
    assert again.headers.get("Idempotency-Hit") == "true"
    assert await _count(database, "keyed-1") == 1


async def test_a_transfer_of_the_whole_balance_whose_reply_is_lost_is_not_refused(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database) -> None:
    """Run again blindly, it would fail with INSUFFICIENT_FUND although it was written."""
    ledger = await create_ledger(client, "funds")
    _created(await send(client, ledger, posting("world", "alice", 100)))
    _created(await send(client, ledger, posting("world", "carol", 1)))  # head known
    fault_proxy.lose_reply_after(b"whole-1")
    _created(await send(client, ledger, posting("alice", "bob", 100),
                        metadata={"probe": "whole-1"}))
    assert fault_proxy.replies_lost == 1
    assert await _count(database, "whole-1") == 1
    assert await _balance(database, ledger, "alice") == 0
    assert await _balance(database, ledger, "bob") == 100


async def test_a_numscript_write_whose_commit_reply_is_lost_is_written_once(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database) -> None:
    """A script that reads balances runs in its own transaction: here the reply to its COMMIT
    is lost."""
    ledger = await create_ledger(client, "script")
    _created(await send(client, ledger, posting("world", "alice", 100)))
    script = {"plain": "send [USD 60] (\n source = @alice\n destination = @bob\n)"}
    # Warm the caches (ledger, schemas) so that the next COMMIT is the script's.
    _created(await client.post(f"{BASE}/{ledger}/transactions", json={
        "script": {"plain": "send [USD 1] (\n source = @alice\n destination = @bob\n)"}}))
    fault_proxy.lose_reply_after(b"COMMIT")
    r = await client.post(f"{BASE}/{ledger}/transactions",
                          json={"script": script, "metadata": {"probe": "script-1"}})
    _created(r)
    assert fault_proxy.replies_lost == 1
    assert await _count(database, "script-1") == 1
    assert await _balance(database, ledger, "alice") == 39


async def test_a_stalled_write_is_answered_within_its_bound(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_write, "STATEMENT_TIMEOUT_S", 1.0)
    ledger = await create_ledger(client, "stalled")
    _created(await send(client, ledger, posting("world", "users:0", 1)))
    _created(await send(client, ledger, posting("world", "users:0", 1)))  # head known
    fault_proxy.stall()  # connections open now hear nothing; new ones work
    started = time.monotonic()
    r = await send(client, ledger, posting("world", "users:1", 5), metadata={"probe": "st-1"})
    elapsed = time.monotonic() - started
    fault_proxy.unstall()
    assert elapsed < 10, elapsed
    # The statement ran (only its answer was held): read back, it is the truth.
    assert r.status_code in (200, 201, 503), r.text
    count = await _count(database, "st-1")
    if r.status_code == 503:
        assert "Idempotency-Key" in r.json()["errorMessage"]
        assert count <= 1
    else:
        assert count == 1


async def test_concurrent_contested_transfers_around_cuts_are_never_doubled_nor_refused(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database) -> None:
    ledger = await create_ledger(client, "contested")
    n = 48
    _created(await send(client, ledger, posting("world", "bank", 10 * n)))

    async def transfer(i: int) -> httpx.Response:
        await asyncio.sleep(i * 0.004)
        return await send(client, ledger, posting("bank", f"users:{i}", 10),
                          metadata={"probe": f"c-{i}"})

    async def cutter() -> None:
        for _ in range(4):
            await asyncio.sleep(0.05)
            fault_proxy.cut_all()

    started = time.monotonic()
    results, _ = await asyncio.gather(asyncio.gather(*(transfer(i) for i in range(n))),
                                      cutter())
    assert time.monotonic() - started < 60
    assert fault_proxy.cuts > 0
    for i, r in enumerate(results):
        count = await _count(database, f"c-{i}")
        assert count <= 1, f"transfer {i} written {count} times"
        if r.status_code in (200, 201):
            assert count == 1, f"transfer {i} acknowledged but not written"
        else:  # the bank holds enough for all: only "unavailable, retry" is acceptable
            assert r.status_code == 503, r.text
    assert await _balance(database, ledger, "bank") >= 0


async def test_concurrent_script_writes_sharing_a_commit_around_cuts_all_get_the_truth(
        client: httpx.AsyncClient, fault_proxy: FaultProxy, database: Database) -> None:
    """Scripts that read balances take turns in one transaction with one COMMIT
    (storage/ledger/group_commit.py): cuts land inside those batches and on their COMMITs."""
    ledger = await create_ledger(client, "turns")
    n = 32
    _created(await send(client, ledger, posting("world", "bank", 10 * n)))

    async def transfer(i: int) -> httpx.Response:
        await asyncio.sleep(i * 0.005)
        script = {"plain": f"send [USD 10] (\n source = @bank\n destination = @users:{i}\n)"}
        return await client.post(f"{BASE}/{ledger}/transactions",
                                 json={"script": script, "metadata": {"probe": f"t-{i}"}})

    async def cutter() -> None:
        fault_proxy.lose_reply_after(b"COMMIT", times=2)
        for _ in range(3):
            await asyncio.sleep(0.06)
            fault_proxy.cut_all()

    started = time.monotonic()
    results, _ = await asyncio.gather(asyncio.gather(*(transfer(i) for i in range(n))),
                                      cutter())
    assert time.monotonic() - started < 60, "a request waited past its bounds"
    for i, r in enumerate(results):
        count = await _count(database, f"t-{i}")
        assert count <= 1, f"script {i} written {count} times"
        if r.status_code in (200, 201):
            assert count == 1, f"script {i} acknowledged but not written"
        else:
            assert r.status_code == 503, r.text
    assert await _balance(database, ledger, "bank") >= 0
