"""The run's fast aggregate at a point in time (storage/reconciliation/sources.py) agrees with
the ledger's own aggregated balances at that point in time, for filters on addresses, metadata
and balances, at instants between back-dated and out-of-order writes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from domain.ledger.query import parse_list_query
from domain.ledger.query.fields import Resource
from domain.ledger.service import LedgerService
from domain.reconciliation.errors import SourceNotFoundError
from storage.database import Database
from storage.ledger.store import PgLedgerStore
from storage.reconciliation.sources import PgSources
from tests.integration.reconciliation.books import L, at, iso

QUERIES: list[dict[str, Any]] = [
    {}, {"$match": {"address": "bank:"}}, {"$match": {"address": "users:..."}},
    {"$match": {"metadata[desk]": "eu"}},
    {"$and": [{"$match": {"address": "users:"}}, {"$gt": {"balance[USD/2]": 15}}]},
    {"$or": [{"$match": {"address": "bank:a"}}, {"$match": {"address": "users:2"}}]},
]


async def _book(client: httpx.AsyncClient, source: str, destination: str, asset: str,
                amount: int, hours: float) -> None:
    r = await client.post(f"{L}/main/transactions", params={"force": "true"}, json={
        "postings": [{"source": source, "destination": destination, "asset": asset,
                      "amount": amount}], "timestamp": iso(at(hours))})
    assert r.status_code == 200, r.text


async def test_fast_aggregate_matches_the_ledgers(client: httpx.AsyncClient,
                                                  database: Database) -> None:
    assert (await client.post(f"{L}/main")).status_code in (201, 204)
    writes = [("bank:a", "users:1", "USD/2", 10, 1), ("bank:b", "users:2", "USD/2", 20, 2),
              ("bank:a", "users:2", "EUR/2", 7, 3), ("users:1", "bank:b", "USD/2", 4, 2.5),
              # back-dated, written last: the effective volumes of later moves change
              ("bank:a", "users:1", "USD/2", 100, 0.5), ("world", "users:3", "USD/2", 30, 4)]
    for w in writes:
        await _book(client, *w)
    r = await client.post(f"{L}/main/accounts/users:2/metadata", json={"desk": "eu"})
    assert r.status_code == 204, r.text
    ledger = LedgerService(PgLedgerStore(database))
    sources = PgSources(database, ledger)
    for query in QUERIES:
        for hours in (0, 0.75, 1.5, 2.5, 3.5, 5):
            q = replace(parse_list_query(Resource.ACCOUNTS, query=query or None), pit=at(hours))
            expected = await ledger.aggregate_balances("main", q)
            assert await sources.ledger_balances("main", query, at(hours)) == expected, \
                (query, hours)
    assert await sources.ledger_balances("main", {"$match": {"address": "bank:"}}, at(5)) == \
        {"EUR/2": -7, "USD/2": -126}
    with pytest.raises(SourceNotFoundError):
        await sources.ledger_balances("nope", {}, at(5))
