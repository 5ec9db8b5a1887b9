"""A policy run on a big ledger (issue 19): the policy's query matches 10,000 accounts that took
part in 1,000,000 transactions (2,000,000 moves), and the time to result of
`POST /policies/{id}/reconciliation` is measured through the API, on the Temporal bench stack
(API, worker, Temporal dev server and PostgreSQL as `make run` starts them): the run workflow's
two reads, the drift and the store included. Runs at a point in time halfway through the
ledger's history and at its end, each checked against the known sums.

The ledger rows are generated in SQL (generate_series), with the post-commit volumes the write
path would have stored: posting 1,000,000 transactions through the API would take the whole
benchmark budget, and the run reads the rows however they arrived. Each transaction moves 100
from `bank:<i>` (10,000 accounts, the mirror of the PSP, negative) to `world`; the PSP's pool
holds the opposite, so both runs are OK with zero drift."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.temporal_stack import TemporalBenchStack
from domain.payments import ids
from domain.payments.models import AccountType, Balance, Connector
from domain.payments.plugin import PSPAccount
from domain.payments.service import to_account
from storage.database import Database
from storage.payments.store import PgPaymentsStore
from workers.embedded_postgres import bin_dir

LEDGER = "recon"
R = "/api/reconciliation"
STEP_MS = 100  # between two transactions' timestamps

SEED_SQL = f"""
CREATE TEMP TABLE seed AS
SELECT g, (g - 1) % __A__ AS a, (g - 1) / __A__ + 1 AS k,
       __BASE__::timestamptz + g * interval '{STEP_MS} milliseconds' AS at
FROM generate_series(1, __N__) AS g;
INSERT INTO transactions (ledger, id, "timestamp", inserted_at, updated_at, postings, metadata,
                          sources, destinations)
SELECT '{LEDGER}', g, at, at, at,
       jsonb_build_array(jsonb_build_object('source', 'bank:' || a, 'destination', 'world',
                                            'amount', 100, 'asset', 'USD/2')),
       '{{}}'::jsonb, ARRAY['bank:' || a], ARRAY['world']
FROM seed;
INSERT INTO moves (ledger, transaction_id, account_address, account_address_array, asset, amount,
                   is_source, insertion_date, effective_date, post_commit_volumes_input,
                   post_commit_volumes_output, post_commit_effective_volumes_input,
                   post_commit_effective_volumes_output)
SELECT '{LEDGER}', g, 'bank:' || a, ARRAY['bank', a::text], 'USD/2', 100, true, at, at,
       0, 100 * k, 0, 100 * k FROM seed
UNION ALL
SELECT '{LEDGER}', g, 'world', ARRAY['world'], 'USD/2', 100, false, at, at,
       100 * g, 0, 100 * g, 0 FROM seed;
INSERT INTO accounts (ledger, address, address_array, metadata, first_usage, insertion_date,
                      updated_at)
SELECT '{LEDGER}', 'bank:' || a, ARRAY['bank', a::text], '{{}}'::jsonb, __BASE__::timestamptz,
       __BASE__::timestamptz, __BASE__::timestamptz
FROM generate_series(0, __A__ - 1) AS a
UNION ALL SELECT '{LEDGER}', 'world', ARRAY['world'], '{{}}'::jsonb, __BASE__::timestamptz,
                 __BASE__::timestamptz, __BASE__::timestamptz;
INSERT INTO accounts_volumes (ledger, address, asset, input, output)
SELECT '{LEDGER}', 'bank:' || a, 'USD/2', 0, 100 * count(*) FROM seed GROUP BY a
UNION ALL SELECT '{LEDGER}', 'world', 'USD/2', 100 * __N__, 0;
UPDATE ledgers SET last_transaction_id = __N__, last_log_id = 0 WHERE name = '{LEDGER}';
ANALYZE transactions; ANALYZE moves; ANALYZE accounts; ANALYZE accounts_volumes;
"""


def _seed_ledger(stack: TemporalBenchStack, base: datetime, accounts: int,
                 transactions: int) -> None:
    assert stack.pg is not None
    with httpx.Client(base_url=stack.base_url, timeout=60) as http:
        r = http.post(f"/api/ledger/v2/{LEDGER}", json={})
        assert r.status_code in (201, 204), r.text
    sql = (SEED_SQL.replace("__N__", str(transactions)).replace("__A__", str(accounts))
           .replace("__BASE__", f"'{base.isoformat()}'"))
    done = subprocess.run([str(bin_dir() / "psql"), "-h", "127.0.0.1", "-p",
                           str(stack.pg.port), "-U", "postgres", "-d", "ledgerflow", "-v",
                           "ON_ERROR_STOP=1", "-qc", sql],
                          check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed: {done.stderr}")


async def _seed_psp(stack: TemporalBenchStack, http: httpx.AsyncClient,
                    points: list[tuple[datetime, int]]) -> str:
    """One PSP account whose balance is each (time, amount) from that time on; its pool id."""
    database = Database(stack.database_url, pool_size=2)
    try:
        store = PgPaymentsStore(database)
        cid = ids.ConnectorID("generic", str(uuid.uuid4()))
        created = points[0][0]
        await store.create_connector(Connector(id=str(cid), reference=cid.reference,
                                               name="bench-psp", provider="generic",
                                               created_at=created, config={}))
        account = to_account(cid, PSPAccount(reference="cash", created_at=created),
                             AccountType.INTERNAL)
        await store.save_page(str(cid), "FETCH_ACCOUNTS", {}, [account], [], [])
        for when, amount in points:
            await store.save_page(str(cid), "FETCH_BALANCES", {}, [], [Balance(
                account_id=account.id, asset="USD/2", balance=amount, created_at=when,
                last_updated_at=when)], [])
    finally:
        await database.dispose()
    r = await http.post("/api/payments/v3/pools", json={"name": "bench",
                                                         "accountIDs": [account.id]})
    assert r.status_code == 201, r.text
    return str(r.json()["data"])


async def _measure(http: httpx.AsyncClient, policy: str, at: datetime, expected: int,
                   runs: int) -> dict[str, Any]:
    samples = []
    body = {"reconciledAtLedger": at.isoformat(), "reconciledAtPayments": at.isoformat()}
    for _ in range(runs):
        started = time.perf_counter()
        r = await http.post(f"{R}/policies/{policy}/reconciliation", json=body)
        samples.append(time.perf_counter() - started)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        assert data["ledgerBalances"] == {"USD/2": -expected}, data
        assert (data["status"], data["driftBalances"]) == ("OK", {"USD/2": 0}), data
    return {"runs": runs, "first_ms": round(samples[0] * 1000, 1),
            "p50_ms": round(statistics.median(samples) * 1000, 1),
            "min_ms": round(min(samples) * 1000, 1), "max_ms": round(max(samples) * 1000, 1)}


async def run_reconciliation(stack: TemporalBenchStack, *, accounts: int, transactions: int,
                             runs: int) -> dict[str, Any]:
    base = datetime.now(UTC) - timedelta(milliseconds=STEP_MS * transactions) - \
        timedelta(hours=1)
    started = time.monotonic()
    _seed_ledger(stack, base, accounts, transactions)
    seeded_s = round(time.monotonic() - started, 1)
    half = transactions // 2
    mid = base + timedelta(milliseconds=STEP_MS * half + STEP_MS // 2)
    end = base + timedelta(milliseconds=STEP_MS * transactions + STEP_MS)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=120) as http:
        pool = await _seed_psp(stack, http, [(base, 0), (mid - timedelta(seconds=0.01),
                                                         100 * half),
                                             (end - timedelta(seconds=0.01),
                                              100 * transactions)])
        r = await http.post(f"{R}/policies", json={
            "name": "bench", "ledgerName": LEDGER,
            "ledgerQuery": {"$match": {"address": "bank:"}}, "paymentsPoolID": pool})
        assert r.status_code == 201, r.text
        policy = r.json()["data"]["id"]
        rows = [{"point_in_time": "halfway", "transactions_before": half,
                 **await _measure(http, policy, mid, 100 * half, runs)},
                {"point_in_time": "end", "transactions_before": transactions,
                 **await _measure(http, policy, end, 100 * transactions, runs)}]
    return {"accounts": accounts, "transactions": transactions, "moves": 2 * transactions,
            "seed_s": seeded_s, "rows": rows}


def main_async(stack: TemporalBenchStack, **kwargs: Any) -> dict[str, Any]:
    return asyncio.run(run_reconciliation(stack, **kwargs))
