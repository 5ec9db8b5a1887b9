"""Ledger reads on a ledger of 1M transactions (issue 9): list transactions filtered by metadata,
and get an account with its volumes, through the REST API.

The rows are generated in SQL (generate_series), not posted through the API: posting 1M
transactions would take the whole benchmark budget, and reads do not care how rows arrived.
Moves are not generated (only point-in-time reads use them)."""

from __future__ import annotations

import random
import subprocess
import urllib.parse

import httpx
import orjson

from bench.loadgen import RequestFactory, run_load
from workers.embedded_postgres import bin_dir

LEDGER = "reads"
ACCOUNTS = 100_000

SEED_SQL = f"""
INSERT INTO transactions (ledger, id, "timestamp", inserted_at, updated_at, postings, metadata,
                          sources, destinations)
SELECT '{LEDGER}', g, now() - (__N__ - g) * interval '1 second', now(), now(),
       jsonb_build_array(jsonb_build_object('source', 'world',
           'destination', 'users:' || (g % {ACCOUNTS}), 'amount', 100, 'asset', 'USD/2')),
       jsonb_build_object('order', 'o' || g, 'shard', (g % 100)::text),
       ARRAY['world'], ARRAY['users:' || (g % {ACCOUNTS})]
FROM generate_series(1, __N__) AS g;
INSERT INTO accounts (ledger, address, address_array, metadata, first_usage, insertion_date,
                      updated_at)
SELECT '{LEDGER}', 'users:' || a, ARRAY['users', a::text],
       jsonb_build_object('tier', (a % 3)::text), now(), now(), now()
FROM generate_series(0, {ACCOUNTS - 1}) AS a
UNION ALL SELECT '{LEDGER}', 'world', ARRAY['world'], '{{}}', now(), now(), now();
INSERT INTO accounts_volumes (ledger, address, asset, input, output)
SELECT '{LEDGER}', 'users:' || a, 'USD/2', 100 * (__N__ / {ACCOUNTS}), 0
FROM generate_series(0, {ACCOUNTS - 1}) AS a
UNION ALL SELECT '{LEDGER}', 'world', 'USD/2', 0, 100 * __N__;
UPDATE ledgers SET last_transaction_id = __N__, last_log_id = 0 WHERE name = '{LEDGER}';
ANALYZE transactions; ANALYZE accounts; ANALYZE accounts_volumes;
"""


def seed(base_url: str, port: int, database: str, transactions: int) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        assert http.post(f"/api/ledger/v2/{LEDGER}", json={}).status_code == 204
    sql = SEED_SQL.replace("__N__", str(transactions))
    subprocess.run([str(bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U",
                    "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qc", sql],
                   check=True, capture_output=True)


def _get(path: str, params: dict[str, str]) -> tuple[str, str, bytes]:
    return "GET", f"{path}?{urllib.parse.urlencode(params)}", b""


def by_order(transactions: int) -> RequestFactory:
    rnd = random.Random(7)

    def make(_: int) -> tuple[str, str, bytes]:
        query = {"$match": {"metadata[order]": f"o{rnd.randint(1, transactions)}"}}
        return _get(f"/api/ledger/v2/{LEDGER}/transactions", {"query": orjson.dumps(query)
                                                                .decode()})
    return make


def by_shard() -> RequestFactory:
    rnd = random.Random(8)

    def make(_: int) -> tuple[str, str, bytes]:
        query = {"$match": {"metadata[shard]": str(rnd.randrange(100))}}
        return _get(f"/api/ledger/v2/{LEDGER}/transactions", {"query": orjson.dumps(query)
                                                                .decode()})
    return make


def account_with_volumes() -> RequestFactory:
    rnd = random.Random(9)

    def make(_: int) -> tuple[str, str, bytes]:
        address = f"users:{rnd.randrange(ACCOUNTS)}"
        return _get(f"/api/ledger/v2/{LEDGER}/accounts/{address}", {"expand": "volumes"})
    return make


READS = [
    ("tx by metadata (1 match)", by_order),
    ("tx by metadata (10k matches, first page)", lambda n: by_shard()),
    ("account with volumes", lambda n: account_with_volumes()),
]


async def run_reads(port: int, transactions: int, duration_s: float) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for title, factory in READS:
        result = await run_load("127.0.0.1", port, factory(transactions), connections=1,
                                duration_s=duration_s)
        rows.append({"read": title, "transactions": transactions, **result.summary()})
    return rows
