"""Many concurrent clients moving limited funds among the same accounts; the invariants are then
checked from the database itself."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest

from domain.ledger.hashing import verify_chain
from domain.ledger.models import CreateTransaction, Posting, WriteOptions
from domain.ledger.service import LedgerService
from storage.ledger.store import PgLedgerStore
from tests.integration.ledger.helpers import (
    BASE,
    VOLUMES_NOT_MATCHING_MOVES_SQL,
    create_ledger,
    posting,
    send,
)

ACCOUNTS = [f"users:{i}" for i in range(10)]


async def check_invariants(database_url: str, client, ledger: str) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        negative = await conn.fetchval(
            "SELECT count(*) FROM accounts_volumes WHERE ledger=$1 AND address <> 'world' "
            "AND input - output < 0", ledger)
        assert negative == 0
        sums = await conn.fetch(
            "SELECT asset, sum(input - output) s FROM accounts_volumes WHERE ledger=$1 "
            "GROUP BY asset", ledger)
        assert all(r["s"] == 0 for r in sums)
        mismatched = await conn.fetchval(VOLUMES_NOT_MATCHING_MOVES_SQL, ledger)
        assert mismatched == 0
        ids = [r["id"] for r in await conn.fetch(
            "SELECT id FROM transactions WHERE ledger=$1 ORDER BY id", ledger)]
        assert ids == list(range(1, len(ids) + 1))
        log_ids = [r["id"] for r in await conn.fetch(
            "SELECT id FROM logs WHERE ledger=$1 ORDER BY id", ledger)]
        assert log_ids == list(range(1, len(log_ids) + 1))
        events = await conn.fetchval("SELECT count(*) FROM events_outbox WHERE app='ledger'")
        assert events == len(log_ids)
    finally:
        await conn.close()
    logs, cursor = [], None
    while True:
        params = {"cursor": cursor} if cursor else {"sort": "id:asc", "pageSize": "100"}
        page = (await client.get(f"{BASE}/{ledger}/logs", params=params)).json()["cursor"]
        logs += page["data"]
        cursor = page.get("next")
        if not cursor:
            break
    assert [log["id"] for log in logs] == list(range(1, len(logs) + 1))
    assert verify_chain(logs) is None


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_transfers_over_http(client, database_url, round_):
    ledger = await create_ledger(client)
    for a in ACCOUNTS:
        assert (await send(client, ledger, posting("world", a, 50))).status_code == 200
    rng = random.Random(round_)

    async def transfer() -> int:
        src, dst = rng.sample(ACCOUNTS, 2)
        r = await send(client, ledger, posting(src, dst, rng.randint(1, 40)),
                       posting("world", dst, 1))
        assert r.status_code in (200, 400), r.text
        if r.status_code == 400:
            assert r.json()["errorCode"] == "INSUFFICIENT_FUND"
        return r.status_code

    codes = await asyncio.gather(*(transfer() for _ in range(200)))
    assert codes.count(200) > 0
    await check_invariants(database_url, client, ledger)


async def test_concurrent_transfers_on_service_with_many_connections(client, database,
                                                                     database_url):
    ledger = await create_ledger(client)
    service = LedgerService(PgLedgerStore(database))
    for a in ACCOUNTS:
        await service.execute(ledger, CreateTransaction(
            postings=(Posting("world", a, 30, "EUR"),)), WriteOptions())
    rng = random.Random(7)

    async def transfer(i: int) -> None:
        a, b, c = rng.sample(ACCOUNTS, 3)
        cmd = CreateTransaction(postings=(Posting(a, b, rng.randint(1, 20), "EUR"),
                                          Posting(b, c, rng.randint(1, 20), "EUR")),
                                timestamp=None)
        try:
            await service.execute(ledger, cmd, WriteOptions(
                idempotency_key=f"k{i % 150}", idempotency_hash=f"h{i % 150}-{i // 150}"))
        except Exception as exc:  # business refusals only
            assert getattr(exc, "code", None) in ("INSUFFICIENT_FUND", "VALIDATION"), exc

    await asyncio.gather(*(transfer(i) for i in range(300)))
    await check_invariants(database_url, client, ledger)
