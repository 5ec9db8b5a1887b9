"""Orchestration end to end (issue 18), on the Temporal bench stack (API, worker, dispatcher,
Temporal dev server and PostgreSQL as `make run` starts them):

1. `POST /v2/workflows/{id}/instances?wait=true` for a one-send flow (world -> an account), one
   client: latency p50/p99 (the answer comes once the instance has ended);
2. the same with `clients` concurrent clients for `duration_s`: instances/s and p50/p99;
3. ledger event -> trigger -> instance started: one transaction at a time posted to the ledger,
   a trigger on COMMITTED_TRANSACTIONS whose filter matches it; the time from the transaction's
   request to the instance's workflow started in Temporal (the consumer marks the row
   `launched` once the start is accepted) and to the workflow running (its first activity's
   `started_at`), both read in PostgreSQL every 2 ms on a connection of its own. The
   dispatcher's triggers consumer polls every LEDGERFLOW_ORCHESTRATION_TRIGGER_POLL_INTERVAL
   (100 ms by default) once caught up."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import asyncpg
import httpx

from bench.stack import tree_cpu_seconds
from bench.temporal_stack import TemporalBenchStack

O = "/api/orchestration/v2"  # noqa: E741 - the module's prefix
LEDGER = "bench"


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _row(name: str, samples: list[float]) -> dict[str, Any]:
    return {"measure": name, "samples": len(samples), "p50_ms": _ms(samples, 0.5),
            "p99_ms": _ms(samples, 0.99), "mean_ms": round(statistics.fmean(samples) * 1000, 2)}


async def _flow(http: httpx.AsyncClient, *stages: dict[str, Any]) -> str:
    r = await http.post(f"{O}/workflows", json={"stages": list(stages)})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


SEND = {"send": {"source": {"account": {"id": "world", "ledger": LEDGER}},
                 "destination": {"account": {"id": "users:${user}", "ledger": LEDGER}},
                 "amount": {"asset": "USD/2", "amount": 100}}}


async def _run(http: httpx.AsyncClient, flow: str, user: int) -> float:
    started = time.perf_counter()
    r = await http.post(f"{O}/workflows/{flow}/instances", params={"wait": "true"},
                        json={"user": str(user)})
    elapsed = time.perf_counter() - started
    assert r.status_code == 201 and "error" not in r.json()["data"], r.text
    return elapsed


async def run_orchestration(stack: TemporalBenchStack, *, sequential: int = 50,
                            clients: int = 32, duration_s: float = 10.0,
                            triggered: int = 30) -> dict[str, Any]:
    dsn = stack.database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=120) as http:
            r = await http.post(f"/api/ledger/v2/{LEDGER}", json={})
            assert r.status_code in (201, 204), r.text
            flow = await _flow(http, SEND)
            for user in range(3):  # warm up: worker caches, connections
                await _run(http, flow, user)
            one = [await _run(http, flow, user) for user in range(sequential)]
            launched_s, running_s = await _triggers(http, conn, triggered)
        concurrent = await _concurrent(stack, flow, clients, duration_s)
    finally:
        await conn.close()
    return {"rows": [_row("run ?wait=true, one send, 1 client", one),
                     _row(f"run ?wait=true, one send, {clients} clients",
                          concurrent.pop("samples")),
                     _row("ledger event -> trigger -> workflow started", launched_s),
                     _row("ledger event -> trigger -> instance's first activity ran",
                          running_s)],
            "throughput": concurrent}


async def _concurrent(stack: TemporalBenchStack, flow: str, clients: int,
                      duration_s: float) -> dict[str, Any]:
    assert stack.api and stack.worker and stack.pg and stack.pg.process
    pids = {"api": stack.api.pid, "worker": stack.worker.pid, "postgres": stack.pg.process.pid}
    if stack.temporal and stack.temporal.process is not None:
        pids["temporal"] = stack.temporal.process.pid
    cpu = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    samples: list[float] = []
    errors = 0
    started = time.monotonic()

    async def client(http: httpx.AsyncClient, offset: int) -> None:
        nonlocal errors
        user = offset * 1_000_000
        while time.monotonic() - started < duration_s:
            user += 1
            try:
                samples.append(await _run(http, flow, user))
            except (AssertionError, httpx.HTTPError):
                errors += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=120, limits=limits) as http:
        await asyncio.gather(*(client(http, i) for i in range(clients)))
    elapsed = time.monotonic() - started
    used = {f"{name}_cpu_s": round(tree_cpu_seconds(pid) - cpu[name], 1)
            for name, pid in pids.items()}
    return {"clients": clients, "instances": len(samples), "errors": errors,
            "seconds": round(elapsed, 1), "instances_per_s": round(len(samples) / elapsed, 1),
            **used, "samples": samples}


async def _triggers(http: httpx.AsyncClient, conn: asyncpg.Connection, count: int
                    ) -> tuple[list[float], list[float]]:
    """(request -> workflow started in Temporal, request -> its first activity ran)."""
    flow = await _flow(http, {"noop": {}})
    r = await http.post(f"{O}/triggers", json={
        "event": "COMMITTED_TRANSACTIONS", "workflowID": flow,
        "filter": 'event.transactions[0].postings[0].destination startsWith "trig:"'})
    assert r.status_code == 201, r.text
    trigger_id = r.json()["data"]["id"]
    launched: list[float] = []
    running: list[float] = []
    for i in range(count + 2):
        started = time.perf_counter()
        r = await http.post(f"/api/ledger/v2/{LEDGER}/transactions", json={"postings": [{
            "source": "world", "destination": f"trig:{i}", "amount": 1, "asset": "USD/2"}]})
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 30
        seen_launched: float | None = None
        while True:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE launched) AS launched, "
                "count(*) FILTER (WHERE started_at IS NOT NULL) AS running "
                "FROM orchestration_instances WHERE trigger_id = $1", trigger_id)
            assert row is not None
            if seen_launched is None and row["launched"] >= i + 1:
                seen_launched = time.perf_counter() - started
            if row["running"] >= i + 1:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no instance started for transaction {i}")
            await asyncio.sleep(0.002)
        if i >= 2:  # the first two warm the consumer and the launcher up
            assert seen_launched is not None
            launched.append(seen_launched)
            running.append(time.perf_counter() - started)
    return launched, running
