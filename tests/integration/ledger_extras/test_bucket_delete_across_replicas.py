"""A bucket deleted through one API replica is closed to writes on every replica, even one that
has the ledger in its in-process cache: the write statement itself checks `deleted_at`."""

from __future__ import annotations

import httpx
import pytest

from domain.ledger.errors import LedgerNotFoundError
from domain.ledger.models import CreateTransaction, Posting, WriteOptions
from domain.ledger.service import LedgerService
from storage.database import Database
from storage.ledger.store import PgLedgerStore

SEND = CreateTransaction(postings=(Posting("world", "users:1", 10, "USD/2"),))


async def test_a_replica_with_a_warm_cache_cannot_write_to_a_deleted_bucket(
    client: httpx.AsyncClient, database: Database
):
    assert (await client.post("/api/ledger/v2/gone", json={"bucket": "b1"})).status_code == 204
    other_replica = LedgerService(PgLedgerStore(database))
    await other_replica.execute("gone", SEND, WriteOptions())  # warms its ledger cache
    assert (await client.delete("/api/ledger/v2/_/buckets/b1")).status_code == 204

    with pytest.raises(LedgerNotFoundError):
        await other_replica.execute("gone", SEND, WriteOptions())
    txs = (await client.get("/api/ledger/v2/gone/transactions",
                            params={"includeDeleted": "true"})).status_code
    assert txs == 404
    assert (await client.post("/api/ledger/v2/_/buckets/b1/restore")).status_code == 204
    listing = (await client.get("/api/ledger/v2/gone/transactions")).json()["cursor"]["data"]
    assert len(listing) == 1
