"""Search (issue 20): query latency over 1,000,000 indexed documents, and the indexing lag while
the ledger writes at its full rate.

1. Seed: documents written in bulk SQL straight into search_documents (generate_series, the
   indexes dropped during the load and rebuilt after, as any bulk load), 70% transactions and
   30% accounts of ledger `bench`, with metadata `customer` (10,000 values) and text.
2. Queries through POST /api/search/ on one connection: `metadata.customer=<c>` on
   TRANSACTION (a key=value term on metadata, ~70 hits), a free-text term on TRANSACTION
   (`users:<n>`, word prefix), a `*` pattern (trigram index), the same key=value without a
   target (the multi-kind answer), and a range; p50/p99 of each, values varied per request so
   no answer is cached.
3. Lag: the search indexer runs as the dispatcher runs it (its own process) while scenario (a)
   of the ledger writes bench posts transactions on 16 connections; the lag (age of the oldest
   event not yet indexed, storage.search.lag) is sampled every 100 ms.
4. Capacity: 20,000 ledger events put in the outbox at once, the time the indexer takes to
   index them (events/s), to set against the ledger's write rate.

Numbers are taken on a shared 2-core machine: the API, PostgreSQL, the indexer and the load
generator share the same cores."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.ledger_writes import LEDGER, SCENARIOS
from bench.loadgen import run_load
from bench.stack import BenchStack
from storage.database import Database
from storage.search.lag import indexing_lag

CUSTOMERS = 10_000
_INDEXES = (
    "ix_search_documents_indexed ON search_documents USING gin (indexed jsonb_path_ops)",
    "ix_search_documents_tsv ON search_documents USING gin (search_tsv)",
    "ix_search_documents_sort ON search_documents (kind, sort_value, ledger, doc_id)",
    "ix_search_documents_trgm ON search_documents USING gin (search_text gin_trgm_ops)",
)
# The words storage/search/sink.py stores (domain.search.documents.words): whole tokens and
# their parts between punctuation.
_WORDS = "to_tsvector('simple', t) || array_to_tsvector(string_to_array(lower(t), ' '))"
_SEED = """
INSERT INTO search_documents (kind, ledger, doc_id, data, indexed, sort_value, search_text,
                              search_tsv, event_id)
SELECT 'TRANSACTION', 'bench', i::text, d, d - 'postings' || jsonb_build_object(
           'source', jsonb_build_array('world'),
           'destination', jsonb_build_array('users:' || i),
           'asset', jsonb_build_array('USD/2'), 'amount', jsonb_build_array(i % 1000)),
       to_jsonb(i), t, {words}, 0
FROM generate_series({start}, {stop}) AS i,
LATERAL (SELECT 'USD/2 c' || (i % {customers}) || ' ref-' || i || ' users:' || i || ' world'
         AS t) AS tx,
LATERAL (SELECT jsonb_build_object(
    'txid', i, 'id', i, 'ledger', 'bench', 'reference', 'ref-' || i, 'reverted', false,
    'timestamp', '2025-01-01T00:00:00.000000Z',
    'metadata', jsonb_build_object('customer', 'c' || (i % {customers})),
    'postings', jsonb_build_array(jsonb_build_object('source', 'world',
        'destination', 'users:' || i, 'amount', i % 1000, 'asset', 'USD/2'))) AS d) AS x
"""
_SEED_ACCOUNTS = """
INSERT INTO search_documents (kind, ledger, doc_id, data, indexed, sort_value, search_text,
                              search_tsv, event_id)
SELECT 'ACCOUNT', 'bench', 'users:' || i, d, d, to_jsonb('users:' || i), t, {words}, 0
FROM generate_series({start}, {stop}) AS i,
LATERAL (SELECT 'c' || (i % {customers}) || ' users:' || i AS t) AS tx,
LATERAL (SELECT jsonb_build_object('address', 'users:' || i, 'ledger', 'bench',
    'metadata', jsonb_build_object('customer', 'c' || (i % {customers}))) AS d) AS x
"""


def _psql(stack: BenchStack, sql: str) -> None:
    assert stack.pg
    from workers.embedded_postgres import bin_dir

    subprocess.run([str(bin_dir() / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                    "-p", str(stack.pg.port), "-U", "postgres", "-d", "ledgerflow", "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def seed(stack: BenchStack, documents: int) -> dict[str, float]:
    transactions = documents * 7 // 10
    started = time.monotonic()
    for index in _INDEXES:
        _psql(stack, f"DROP INDEX IF EXISTS {index.split()[0]}")
    step = 100_000
    for start in range(1, transactions + 1, step):
        _psql(stack, _SEED.format(customers=CUSTOMERS, words=_WORDS, start=start,
                                  stop=min(start + step - 1, transactions)))
    for start in range(1, documents - transactions + 1, step):
        _psql(stack, _SEED_ACCOUNTS.format(customers=CUSTOMERS, words=_WORDS, start=start,
                                           stop=min(start + step - 1, documents - transactions)))
    loaded = time.monotonic()
    for index in _INDEXES:
        _psql(stack, f"CREATE INDEX {index}")
    _psql(stack, "VACUUM ANALYZE search_documents")
    return {"documents": documents, "load_s": round(loaded - started, 1),
            "index_s": round(time.monotonic() - loaded, 1)}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


async def queries(port: int, documents: int, requests: int) -> list[dict[str, Any]]:
    transactions = documents * 7 // 10
    rnd = random.Random(20)
    shapes: dict[str, Callable[[], dict[str, Any]]] = {
        "metadata key=value (TRANSACTION)": lambda: {
            "target": "TRANSACTION", "terms": [f"metadata.customer=c{rnd.randrange(CUSTOMERS)}"]},
        "free text (TRANSACTION)": lambda: {
            "target": "TRANSACTION", "terms": [f"users:{rnd.randrange(1, transactions)}"]},
        "pattern *<n>* (TRANSACTION)": lambda: {
            "target": "TRANSACTION", "terms": [f"*s:{rnd.randrange(1, transactions)}*"]},
        "metadata key=value, no target": lambda: {
            "terms": [f"metadata.customer=c{rnd.randrange(CUSTOMERS)}"]},
        "range txid>n AND key=value": lambda: {
            "target": "TRANSACTION", "terms": [f"txid>{rnd.randrange(transactions)}",
                                               f"metadata.customer=c{rnd.randrange(CUSTOMERS)}"]},
    }
    rows = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        for name, make in shapes.items():
            latencies, hits = [], []
            for n in range(requests + 10):
                started = time.perf_counter()
                resp = await http.post("/api/search/", json=make())
                elapsed = (time.perf_counter() - started) * 1000
                assert resp.status_code == 200, resp.text[:300]
                body = resp.json()
                if n >= 10:  # the first few warm the connection and the caches
                    latencies.append(elapsed)
                    page = body.get("cursor", {}).get("data")
                    if page is None:
                        page = [d for docs in body.get("data", {}).values() for d in docs]
                    hits.append(len(page))
            rows.append({"query": name, "requests": requests,
                         "p50_ms": _pct(latencies, 0.5), "p99_ms": _pct(latencies, 0.99),
                         "mean_ms": round(statistics.fmean(latencies), 2),
                         "hits_per_page": round(statistics.fmean(hits), 1)})
    return rows


async def _catch_up(database: Database, limit_s: float) -> float:
    """Seconds until the indexer has indexed every event (at most `limit_s`)."""
    started = time.monotonic()
    for _ in range(int(limit_s / 0.05)):
        if not (await indexing_lag(database)).pending_events:
            break
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def lag_under_writes(stack: BenchStack, duration_s: float) -> dict[str, Any]:
    assert stack.pg
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}") as http:
        resp = await http.post(f"/api/ledger/v2/{LEDGER}", json={})
        assert resp.status_code in (204, 400), resp.text
    database = Database(stack.database_url, pool_size=2)
    samples: list[float] = []
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            samples.append((await indexing_lag(database)).seconds)
            await asyncio.sleep(0.1)

    try:
        sampler = asyncio.create_task(sample())
        scenario = next(s for s in SCENARIOS if s.key == "a")
        load = await run_load("127.0.0.1", stack.api_port, scenario.factory(), connections=16,
                              duration_s=duration_s)
        catch_up = await _catch_up(database, 60.0)
        stop.set()
        await sampler
    finally:
        await database.dispose()
    summary = load.summary()
    return {"write_tps": summary["tps"], "write_p50_ms": summary["p50_ms"],
            "lag_p50_s": _pct(samples, 0.5), "lag_p99_s": _pct(samples, 0.99),
            "lag_max_s": round(max(samples), 3), "catch_up_after_writes_s": round(catch_up, 2),
            "samples": len(samples)}


_CAPACITY_EVENTS = """
INSERT INTO events_outbox (app, type, envelope)
SELECT 'ledger', 'COMMITTED_TRANSACTIONS', jsonb_build_object(
    'date', '2025-01-01T00:00:00Z', 'app', 'ledger', 'version', 'v2',
    'type', 'COMMITTED_TRANSACTIONS', 'ledger', 'capacity', 'payload', jsonb_build_object(
        'ledger', 'capacity', 'accountMetadata', '{{}}'::jsonb,
        'transactions', jsonb_build_array(jsonb_build_object(
            'id', i, 'metadata', jsonb_build_object('order', 'o' || i), 'reverted', false,
            'timestamp', '2025-01-01T00:00:00.123456Z',
            'postings', jsonb_build_array(jsonb_build_object(
                'source', 'world', 'destination', 'users:' || (i % 100000),
                'amount', 100, 'asset', 'USD/2'))))))
FROM generate_series(1, {events}) AS i
"""


async def indexer_capacity(stack: BenchStack, events: int) -> dict[str, Any]:
    """How many ledger events per second the indexer indexes when it has a backlog (one
    COMMITTED_TRANSACTIONS each, to 100,000 accounts, like scenario a): its capacity, to set
    against the ledger's write rate."""
    from config.modules import ModuleSettings
    from workers.search_dispatch import search_dispatcher

    database = Database(stack.database_url, pool_size=2)
    dispatcher = search_dispatcher(database, ModuleSettings())
    try:
        while await dispatcher.dispatch_batch():  # what the lag run left
            pass
        _psql(stack, _CAPACITY_EVENTS.format(events=events))
        started = time.monotonic()
        handled = 0
        while batch := await dispatcher.dispatch_batch():
            handled += batch
        elapsed = time.monotonic() - started
    finally:
        await database.dispose()
    return {"events": handled, "elapsed_s": round(elapsed, 2),
            "events_per_s": round(handled / elapsed)}


def run_search(root: Any, documents: int, requests: int, duration_s: float,
               capacity_events: int = 20_000) -> dict[str, Any]:
    stack = BenchStack(root)
    stack.start()
    try:
        seeded = seed(stack, documents)
        print(f"seeded {documents:,} search documents in {seeded['load_s']}s, "
              f"indexes built in {seeded['index_s']}s", flush=True)
        rows = asyncio.run(queries(stack.api_port, documents, requests))
        env = dict(os.environ, DATABASE_URL=stack.database_url, LOG_LEVEL="WARNING")
        indexer = subprocess.Popen([sys.executable, "-m", "bench.search_indexer"], env=env)
        try:
            lag = asyncio.run(lag_under_writes(stack, duration_s))
        finally:
            indexer.terminate()
            indexer.wait(20)
        capacity = asyncio.run(indexer_capacity(stack, capacity_events))
    finally:
        stack.stop()
    return {"seed": seeded, "queries": rows, "lag": lag, "capacity": capacity}
