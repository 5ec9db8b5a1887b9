"""Policy runs over HTTP with real PostgreSQL, the real Temporal dev server and the module's
worker: a PSP pool against the ledger accounts that mirror it reconciles OK, a PSP short of
money is NOT_OK with the exact drift per asset, a point in time before later writes reads the
earlier balances on both sides, and every refusal is a 4xx in the Formance format with nothing
stored."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from domain.pagination import encode_token
from storage.database import Database
from tests.integration.reconciliation.books import Books, R, at, iso, running, stack


async def _run(http: httpx.AsyncClient, policy: str, ledger_at: datetime,
               payments_at: datetime | None = None) -> dict[str, Any]:
    r = await http.post(f"{R}/policies/{policy}/reconciliation", json={
        "reconciledAtLedger": iso(ledger_at),
        "reconciledAtPayments": iso(payments_at or ledger_at)})
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def _count(database: Database, sql: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def _mirrored_books(books: Books) -> str:
    """1h: the PSP holds 1,000.00 USD and 5.00 EUR, the ledger's bank accounts mirror them.
    3h: 250.00 USD more arrive at the PSP and are booked; 4h: the PSP's EUR drop to 3.00
    without a booking."""
    pool = await books.open("acc-a", "acc-b")
    await books.psp_balance("acc-a", "USD/2", 60000, at(1))
    await books.psp_balance("acc-b", "USD/2", 40000, at(1))
    await books.psp_balance("acc-b", "EUR/2", 500, at(1))
    await books.book("bank:a", "users:1", "USD/2", 60000, at(1))
    await books.book("bank:b", "users:2", "USD/2", 40000, at(1))
    await books.book("bank:b", "users:2", "EUR/2", 500, at(1))
    await books.psp_balance("acc-a", "USD/2", 85000, at(3))
    await books.book("bank:a", "users:1", "USD/2", 25000, at(3))
    await books.psp_balance("acc-b", "EUR/2", 300, at(4))
    return pool


async def test_runs_read_both_sides_at_their_points_in_time(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await _mirrored_books(books)
        policy = await books.policy(pool)

        # In line at 2h: the sums are zero, OK.
        ok = await _run(http, policy, at(2))
        assert ok["status"] == "OK" and "error" not in ok
        assert ok["ledgerBalances"] == {"EUR/2": -500, "USD/2": -100000}
        assert ok["paymentsBalances"] == {"EUR/2": 500, "USD/2": 100000}
        assert ok["driftBalances"] == {"EUR/2": 0, "USD/2": 0}
        assert ok["policyID"] == policy
        assert ok["reconciledAtLedger"] == "2025-01-01T02:00:00Z"

        # After the later writes: both sides moved to 1,250.00 USD, still in line.
        later = await _run(http, policy, at(3.5))
        assert later["ledgerBalances"]["USD/2"] == -125000
        assert later["paymentsBalances"]["USD/2"] == 125000
        assert later["status"] == "OK"

        # 5h: the PSP holds 2.00 EUR less than the books say: NOT_OK, drift of exactly 200.
        short = await _run(http, policy, at(5))
        assert short["status"] == "NOT_OK"
        assert short["driftBalances"] == {"EUR/2": 200, "USD/2": 0}
        assert short["error"] == "balance drift for asset EUR/2"

        # The PSP read before its 250.00 USD arrived, the ledger after its booking: the
        # sum is negative, NOT_OK; the other way round is a positive remainder, still OK.
        skew = await _run(http, policy, at(3.5), at(2))
        assert (skew["status"], skew["driftBalances"]["USD/2"]) == ("NOT_OK", 25000)
        ahead = await _run(http, policy, at(2), at(3.5))
        assert (ahead["status"], ahead["driftBalances"]["USD/2"]) == ("OK", 25000)

        # Stored as answered, listed newest first.
        got = await http.get(f"{R}/reconciliations/{short['id']}")
        assert got.status_code == 200 and got.json()["data"] == short
        listed = (await http.get(f"{R}/reconciliations", params={"pageSize": 2})).json()
        assert [x["id"] for x in listed["cursor"]["data"]] == [ahead["id"], skew["id"]]
        assert listed["cursor"]["hasMore"] is True
        nxt = await http.get(f"{R}/reconciliations", params={"cursor": listed["cursor"]["next"]})
        assert [x["id"] for x in nxt.json()["cursor"]["data"]][:1] == [short["id"]]
        assert await _count(database, "SELECT count(*) FROM events_outbox WHERE app = "
                                      "'reconciliation' AND type = 'SAVED_RECONCILIATION'") == 5


async def test_asset_on_one_side_only_counts_as_zero_on_the_other(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.psp_balance("acc-a", "GBP/2", 7000, at(1))
        await books.book("bank:a", "users:1", "JPY", 30, at(1))
        run = await _run(http, await books.policy(pool), at(2))
        assert run["ledgerBalances"] == {"GBP/2": 0, "JPY": -30}
        assert run["paymentsBalances"] == {"GBP/2": 7000, "JPY": 0}
        assert run["driftBalances"] == {"GBP/2": 7000, "JPY": 30}
        assert run["status"] == "NOT_OK" and run["error"] == "balance drift for asset JPY"


async def test_bad_input_is_refused_in_the_formance_format(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        policy = await books.policy(pool)
        good = {"name": "p", "ledgerName": "main", "ledgerQuery": {}, "paymentsPoolID": pool}
        refusals = [
            ({**good, "ledgerName": "nope"}, 404, "NOT_FOUND", "ledger 'nope' not found"),
            ({**good, "paymentsPoolID": "00000000-0000-0000-0000-000000000000"}, 404,
             "NOT_FOUND", "pool"),
            ({**good, "paymentsPoolID": "not-a-pool"}, 404, "NOT_FOUND", "pool"),
            ({**good, "ledgerQuery": {"$nope": {}}}, 400, "VALIDATION", "ledgerQuery"),
            ({**good, "ledgerQuery": "address=bank"}, 400, "VALIDATION", "ledgerQuery"),
            ({k: v for k, v in good.items() if k != "name"}, 400, "VALIDATION", "name"),
            ([], 400, "VALIDATION", "JSON object"),
        ]
        for body, status, code, words in refusals:
            r = await http.post(f"{R}/policies", json=body)
            assert (r.status_code, r.json()["errorCode"]) == (status, code), (body, r.text)
            assert words in r.json()["errorMessage"], r.text
        assert (await http.post(f"{R}/policies", content=b"{")).status_code == 400

        future = iso(datetime.now(UTC) + timedelta(hours=1))
        run_refusals = [
            (policy, {"reconciledAtLedger": future, "reconciledAtPayments": iso(at(1))}, 400,
             "VALIDATION", "reconciledAtLedger must not be in the future"),
            (policy, {"reconciledAtLedger": iso(at(1)), "reconciledAtPayments": future}, 400,
             "VALIDATION", "reconciledAtPayments must not be in the future"),
            (policy, {"reconciledAtLedger": "yesterday", "reconciledAtPayments": iso(at(1))},
             400, "VALIDATION", "reconciledAtLedger"),
            (policy, {"reconciledAtLedger": iso(at(1))}, 400, "VALIDATION",
             "reconciledAtPayments"),
            ("unknown", {"reconciledAtLedger": iso(at(1)),
                         "reconciledAtPayments": iso(at(1))}, 404, "NOT_FOUND", "policy"),
        ]
        for pid, body, status, code, words in run_refusals:
            r = await http.post(f"{R}/policies/{pid}/reconciliation", json=body)
            assert (r.status_code, r.json()["errorCode"]) == (status, code), (body, r.text)
            assert words in r.json()["errorMessage"], r.text

        # The pool deleted after the policy was saved: the run's read refuses, nothing stored.
        assert (await http.delete(f"/api/payments/v3/pools/{pool}")).status_code == 204
        r = await http.post(f"{R}/policies/{policy}/reconciliation", json={
            "reconciledAtLedger": iso(at(1)), "reconciledAtPayments": iso(at(1))})
        assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND"), r.text
        assert await _count(database, "SELECT count(*) FROM reconciliation_runs") == 0

        for path in ("/policies/x", "/reconciliations/x"):
            r = await http.get(f"{R}{path}")
            assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND")
        assert (await http.get(f"{R}/policies", params={"cursor": "%%"})).status_code == 400


async def test_policies_lifecycle(database_url: str, database: Database, temporal_env: Any,
                                  temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        first = await books.policy(pool)
        second = await books.policy(pool, {"$match": {"address": "bank:a"}})
        got = (await http.get(f"{R}/policies/{second}")).json()["data"]
        assert got["ledgerQuery"] == {"$match": {"address": "bank:a"}}
        assert got["paymentsPoolID"] == pool and got["ledgerName"] == "main"
        page = (await http.get(f"{R}/policies")).json()["cursor"]
        assert [p["id"] for p in page["data"]] == [second, first]
        assert page["pageSize"] == 15 and page["hasMore"] is False
        assert (await http.delete(f"{R}/policies/{first}")).status_code == 204
        assert (await http.delete(f"{R}/policies/{first}")).status_code == 404
        assert (await http.get(f"{R}/policies/{first}")).status_code == 404
        info = (await http.get(f"{R}/_info")).json()
        assert "version" in info
        # A cursor is client input: an edited one is a 400, never a query the database fails.
        for state in ({"offset": 2**63, "pageSize": 15},
                      {"offset": 0, "pageSize": 15, "filters": {"address": "a\x00"}},
                      {"offset": 0, "pageSize": 15, "filters": {"unknown": "x"}}):
            r = await http.get(f"{R}/policies", params={"cursor": encode_token(state)})
            assert r.status_code == 400, r.text
            assert r.json()["errorCode"] == "VALIDATION"


async def test_no_worker_is_a_503_within_the_run_timeout(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    s = stack(temporal_env, database, database_url, temporal_address, run_timeout=2)
    async with s.http() as http:  # no worker polls the module's queue
        books = Books(http, database)
        policy = await books.policy(await books.open("acc-a"))
        started = time.monotonic()
        r = await http.post(f"{R}/policies/{policy}/reconciliation", json={
            "reconciledAtLedger": iso(at(1)), "reconciledAtPayments": iso(at(1))})
        assert time.monotonic() - started < 15
        assert (r.status_code, r.json()["errorCode"]) == (503, "INTERNAL"), r.text
        assert "no result within" in r.json()["errorMessage"]
        assert await _count(database, "SELECT count(*) FROM reconciliation_runs") == 0
