"""The invariant, threshold and parity templates evaluated on real books (real PostgreSQL,
Temporal and worker): the invariant pages through more matched accounts than one ledger page
holds and reads each at the point in time; the threshold bounds an aggregated balance; parity
compares a pool with ledger accounts."""

from __future__ import annotations

from typing import Any

import httpx

from storage.database import Database
from tests.integration.reconciliation.books import Books, L, R, at, iso, running

BOOKS_QUERY = {"$or": [{"$match": {"address": "bank:"}}, {"$match": {"address": "users:"}}]}


async def _rule(http: httpx.AsyncClient, kind: str, spec: dict[str, Any]) -> str:
    r = await http.post(f"{R}/rules", json={"name": kind, "templateKind": kind,
                                            "templateSpec": spec})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def _evaluate(http: httpx.AsyncClient, rule: str, hours: float) -> dict[str, Any]:
    r = await http.post(f"{R}/rules/{rule}/evaluate", json={"at": iso(at(hours))})
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def test_invariant_threshold_and_parity(database_url: str, database: Database,
                                              temporal_env: Any, temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.psp_balance("acc-a", "USD/2", 1200, at(1))
        # 1h: 1,200 from the bank to 120 users (more accounts than a ledger page of 100).
        r = await http.post(f"{L}/main/transactions", params={"force": "true"}, json={
            "postings": [{"source": "bank:a", "destination": f"users:{i}", "asset": "USD/2",
                          "amount": 10} for i in range(120)], "timestamp": iso(at(1))})
        assert r.status_code == 200, r.text
        # 3h: 50 from outside the books to a user: they no longer cancel out.
        await books.book("world", "users:7", "USD/2", 50, at(3))

        invariant = await _rule(http, "ledger_invariant", {
            "ledgerName": "main", "ledgerQuery": BOOKS_QUERY})
        before = await _evaluate(http, invariant, 2)
        assert before["result"] == "PASS"
        assert before["evidence"][0]["proof"] == {"positive": "1200", "negative": "-1200"}
        after = await _evaluate(http, invariant, 4)
        assert after["result"] == "FAIL"
        assert after["evidence"][0]["evidence"]["imbalance"] == 50

        threshold = await _rule(http, "account_threshold", {
            "ledgerName": "main", "ledgerQuery": {"$match": {"address": "users:7"}},
            "max": 20, "assets": ["USD/2"]})
        assert (await _evaluate(http, threshold, 2))["result"] == "PASS"
        high = await _evaluate(http, threshold, 4)
        assert high["result"] == "FAIL"
        assert high["evidence"][0]["evidence"] == {"asset": "USD/2", "balance": 60, "min": None,
                                                   "max": 20}

        parity = await _rule(http, "source_parity", {
            "left": {"paymentsPoolID": pool},
            "right": {"ledgerName": "main", "ledgerQuery": {"$match": {"address": "users:"}}}})
        assert (await _evaluate(http, parity, 2))["result"] == "PASS"
        off = await _evaluate(http, parity, 4)
        assert off["evidence"][0]["evidence"]["residual"] == -50
        assert set(off["pitPerSource"]) == {"left", "right"}
