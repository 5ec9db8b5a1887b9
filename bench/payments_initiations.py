"""Payment initiations end to end (issue 17), on the Temporal bench stack (API, worker, Temporal
dev server and PostgreSQL as `make run` starts them) with a dummypay connector installed and
two accounts created through the API:

1. create: `POST /v3/payment-initiations` answered 202, the workflow started (sequential, one
   connection): latency p50/p99;
2. approve -> PROCESSED: the time from the approve request to the PROCESSED status in
   PostgreSQL (read every 2 ms on a connection of its own), one initiation at a time;
3. throughput: `clients` concurrent clients creating with noValidation for `duration_s`; the
   initiations per second from the first request to the last PROCESSED.

The connector's send rate (payoutsPerSecond, 100/s by default) would cap phase 3 at 100/s:
the bench sets the connector's own payoutsPerSecond to 1000 so the stack, not the configured
throttle, is measured."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.stack import tree_cpu_seconds
from bench.temporal_stack import TemporalBenchStack

P = "/api/payments/v3"


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _row(name: str, samples: list[float]) -> dict[str, Any]:
    return {"measure": name, "samples": len(samples), "p50_ms": _ms(samples, 0.5),
            "p99_ms": _ms(samples, 0.99), "mean_ms": round(statistics.fmean(samples) * 1000, 2)}


async def _setup(http: httpx.AsyncClient, root: Path) -> tuple[str, str, str]:
    directory = root / "dummypay"
    directory.mkdir(parents=True, exist_ok=True)
    r = await http.post(f"{P}/connectors/install/dummypay", json={
        "name": "bench", "directory": str(directory), "pollingPeriod": "30m",
        "payoutsPerSecond": 1000})
    assert r.status_code == 202, r.text
    connector_id = str(r.json()["data"])
    accounts = []
    for ref in ("bench-from", "bench-to"):
        r = await http.post(f"{P}/accounts", json={
            "reference": ref, "connectorID": connector_id, "createdAt": "2025-01-01T00:00:00Z",
            "accountName": ref, "type": "INTERNAL"})
        assert r.status_code == 201, r.text
        accounts.append(str(r.json()["data"]["id"]))
    return connector_id, accounts[0], accounts[1]


def _body(connector_id: str, source: str, destination: str) -> dict[str, Any]:
    return {"reference": f"bench-{uuid.uuid4().hex}", "connectorID": connector_id,
            "type": "TRANSFER", "amount": 100, "asset": "EUR/2", "description": "bench",
            "sourceAccountID": source, "destinationAccountID": destination}


async def _processed(conn: asyncpg.Connection, initiation_id: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while await conn.fetchval("SELECT status FROM payments_initiations WHERE id = $1",
                              initiation_id) != "PROCESSED":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{initiation_id} not PROCESSED after {timeout_s} s")
        await asyncio.sleep(0.002)


async def run_initiations(stack: TemporalBenchStack, *, creates: int = 100,
                          approvals: int = 30, clients: int = 32,
                          duration_s: float = 10.0) -> dict[str, Any]:
    dsn = stack.database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            connector_id, source, destination = await _setup(http, stack.root)
            body = (connector_id, source, destination)
            await http.post(f"{P}/payment-initiations", json=_body(*body))  # warm up
            create_s: list[float] = []
            for _ in range(creates):
                started = time.perf_counter()
                r = await http.post(f"{P}/payment-initiations", json=_body(*body))
                create_s.append(time.perf_counter() - started)
                assert r.status_code == 202, r.text
            approve_s: list[float] = []
            for _ in range(approvals):
                r = await http.post(f"{P}/payment-initiations", json=_body(*body))
                pid = r.json()["data"]["paymentInitiationID"]
                started = time.perf_counter()
                r = await http.post(f"{P}/payment-initiations/{pid}/approve")
                assert r.status_code == 202, r.text
                await _processed(conn, pid, 60)
                approve_s.append(time.perf_counter() - started)
        throughput = await _throughput(stack, conn, body, clients, duration_s)
    finally:
        await conn.close()
    return {"rows": [_row("create -> 202, workflow started", create_s),
                     _row("approve -> PROCESSED (dummypay)", approve_s)],
            "throughput": throughput}


async def _throughput(stack: TemporalBenchStack, conn: asyncpg.Connection,
                      body: tuple[str, str, str], clients: int,
                      duration_s: float) -> dict[str, Any]:
    assert stack.api and stack.worker and stack.pg and stack.pg.process and stack.temporal
    pids = {"api": stack.api.pid, "worker": stack.worker.pid,
            "postgres": stack.pg.process.pid}
    if stack.temporal.process is not None:
        pids["temporal"] = stack.temporal.process.pid
    cpu = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    created: list[str] = []
    errors = 0
    started = time.monotonic()

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() - started < duration_s:
            r = await http.post(f"{P}/payment-initiations", params={"noValidation": "true"},
                                json=_body(*body))
            if r.status_code == 202:
                created.append(r.json()["data"]["paymentInitiationID"])
            else:
                errors += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    requests_done = time.monotonic() - started
    while await conn.fetchval(
            "SELECT count(*) FROM payments_initiations WHERE id = any($1::text[]) "
            "AND status <> 'PROCESSED'", created):
        if time.monotonic() - started > duration_s + 300:
            raise RuntimeError("initiations still not PROCESSED 300 s after the load")
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    spent = {f"cpu_{name}_pct": round((tree_cpu_seconds(pid) - cpu[name]) * 100 / elapsed)
             for name, pid in pids.items()}
    return {"clients": clients, "created": len(created), "errors": errors,
            "requests_s": round(requests_done, 1), "all_processed_s": round(elapsed, 1),
            "created_per_s": round(len(created) / requests_done, 1),
            "processed_per_s": round(len(created) / elapsed, 1), **spent}
