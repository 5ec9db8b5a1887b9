"""Payments ingestion end to end (issue 16): `python -m workers fake-psp` serving N payments,
the `generic` connector installed through the API on the Temporal bench stack (API, worker,
Temporal dev server and PostgreSQL as `make run` starts them), and the clock running from the
install request until the last payment is in PostgreSQL. Then the list latency of the payments
API on the ingested set (sequential requests, one connection).

The count is read from PostgreSQL every 200 ms (the API lists by pages; counting through it
would be the benchmark's own load), so the time to the last payment is within 200 ms.

Reads are measured twice: right after the ingestion, and again once the payments tables'
statistics are within autovacuum's threshold of their rows (a bulk load outruns autovacuum's
analyze, which runs within about a minute; the ingestion analyzes the tables itself when they
outgrow their statistics), the steady state a user sees."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.stack import free_port, tree_cpu_seconds
from bench.temporal_stack import TemporalBenchStack

ROOT = Path(__file__).resolve().parent.parent
P = "/api/payments/v3"
API_KEY = "bench"


def _start_psp(root: Path, payments: int, accounts: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = open(root / "fake-psp.log", "ab")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers", "fake-psp", "--port", str(port), "--payments",
         str(payments), "--accounts", str(accounts), "--api-key", API_KEY],
        cwd=ROOT, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the fake PSP exited; see {root / 'fake-psp.log'}")
        try:
            if httpx.get(f"{url}/_fake/stats", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the fake PSP did not start")


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


async def _latency(http: httpx.AsyncClient, name: str, requests: int, method: str, path: str,
                   **kwargs: Any) -> dict[str, Any]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        r = await http.request(method, path, **kwargs)
        samples.append(time.perf_counter() - started)
        assert r.status_code == 200, r.text
    return {"read": name, "requests": requests, "p50_ms": _ms(samples, 0.5),
            "p99_ms": _ms(samples, 0.99), "mean_ms": round(statistics.fmean(samples) * 1000, 2)}


async def _ingest(stack: TemporalBenchStack, psp_url: str, payments: int, page_size: int,
                  timeout_s: float) -> tuple[str, dict[str, Any]]:
    dsn = stack.database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    assert stack.worker and stack.api and stack.pg and stack.pg.process
    cpu = {name: tree_cpu_seconds(pid) for name, pid in (
        ("api", stack.api.pid), ("worker", stack.worker.pid),
        ("postgres", stack.pg.process.pid))}
    try:
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            started = time.monotonic()
            r = await http.post(f"{P}/connectors/install/generic", json={
                "name": "bench", "apiKey": API_KEY, "endpoint": psp_url,
                "pollingPeriod": "30m", "pageSize": page_size})
            assert r.status_code == 202, r.text
            connector_id = str(r.json()["data"])
            first = None
            count = 0
            while count < payments:
                if time.monotonic() - started > timeout_s:
                    raise RuntimeError(f"{count} of {payments} payments after {timeout_s} s")
                await asyncio.sleep(0.2)
                count = int(await conn.fetchval(
                    "SELECT count(*) FROM payments_payments WHERE connector_id = $1",
                    connector_id))
                if count and first is None:
                    first = time.monotonic() - started
            last = time.monotonic() - started
    finally:
        await conn.close()
    spent = {f"cpu_{name}_s": round(tree_cpu_seconds(pid) - cpu[name], 1) for name, pid in (
        ("api", stack.api.pid), ("worker", stack.worker.pid),
        ("postgres", stack.pg.process.pid))}
    return connector_id, {"payments": payments, "page_size": page_size,
                          "time_to_first_s": round(first or last, 2),
                          "time_to_last_s": round(last, 2),
                          "payments_per_s": round(payments / last), **spent}


async def run_payments(stack: TemporalBenchStack, *, payments: int = 100_000,
                       page_size: int = 1000, list_requests: int = 300,
                       timeout_s: float = 600.0) -> dict[str, Any]:
    psp, psp_url = _start_psp(stack.root, payments, accounts=10)
    try:
        connector_id, ingestion = await _ingest(stack, psp_url, payments, page_size, timeout_s)
    finally:
        psp.terminate()
        psp.wait(20)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
        fresh = await _reads(http, connector_id, list_requests, "right after ingestion")
    dsn = stack.database_url.replace("postgresql+asyncpg://", "postgresql://")
    waited = await _autoanalyzed(dsn, ("payments_payments", "payments_adjustments"))
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
        steady = await _reads(http, connector_id, list_requests,
                              f"statistics up to date ({waited:.0f} s later)")
    return {"ingestion": ingestion, "reads": fresh + steady}


async def _autoanalyzed(dsn: str, tables: tuple[str, ...], timeout_s: float = 180.0) -> float:
    """Seconds until every table's statistics are within autovacuum's threshold of its rows
    (analyzed by autovacuum, or by the ingestion's own rule: storage/payments/store.py)."""
    conn = await asyncpg.connect(dsn)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout_s:
            pending = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname = any($1::text[]) "
                "AND (n_mod_since_analyze > 0.1 * greatest(n_live_tup, 1) "
                "OR coalesce(last_autoanalyze, last_analyze) IS NULL)", list(tables))
            if pending == 0:
                break
            await asyncio.sleep(1)
    finally:
        await conn.close()
    return time.monotonic() - started


async def _reads(http: httpx.AsyncClient, connector_id: str, list_requests: int,
                 when: str) -> list[dict[str, Any]]:
    first = (await http.get(f"{P}/payments", params={"pageSize": 15})).json()
    one = first["cursor"]["data"][0]["id"]
    reads = [
        await _latency(http, "list payments (first page of 15)", list_requests, "GET",
                       f"{P}/payments", params={"pageSize": 15}),
        await _latency(http, "list payments, next page by cursor", list_requests, "GET",
                       f"{P}/payments", params={"cursor": first["cursor"]["next"]}),
        await _latency(http, "list payments by connector and status", list_requests, "GET",
                       f"{P}/payments", params={"pageSize": 15},
                       json={"$and": [{"$match": {"connector_id": connector_id}},
                                      {"$match": {"status": "FAILED"}}]}),
        await _latency(http, "list payments (page of 100)", list_requests // 3, "GET",
                       f"{P}/payments", params={"pageSize": 100}),
        await _latency(http, "get one payment", list_requests, "GET", f"{P}/payments/{one}"),
    ]
    return [{"when": when, **r} for r in reads]
