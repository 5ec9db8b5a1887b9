"""Webhook deliveries per second to a local receiver (issue 7), and event-to-delivery latency.

The receiver is a raw asyncio HTTP/1.1 keep-alive server on 127.0.0.1: it answers 200 (or 500 to
the first attempt of each delivery when asked to), and only records the arrival time, the path,
the `formance-webhook-id` and the body; dates are parsed after the run. Three phases, each waiting
(bounded) until every expected delivery arrived:

- `outbox-backlog`: events inserted straight into `events_outbox` in one statement: the
  dispatcher alone (outbox -> deliveries rows -> batched first attempts), draining a backlog.
- `ledger-bulk`: bulks of transactions POSTed to the ledger API as fast as one connection goes:
  end to end from the ledger write, the dispatcher running concurrently with the writes.
- `ledger-paced`: the same at about half the backlog throughput, so that the latency is the
  path's own and not queueing behind a backlog.

Latency = receiver arrival time - the event's `date` (set by the writer just before its
transaction commits; the same clock, one machine)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson

from bench.temporal_stack import TemporalBenchStack

# Dispatcher knobs for this benchmark (LEDGERFLOW_WEBHOOKS_*, passed to every child process).
# The outbox poll interval is the floor of the latency when the dispatcher is idle: the default
# is 3 s; at 0.1 s the measured latency is the path's and not the poll's. ISO 8601: the plain
# seconds form the settings docstring promises is refused by pydantic for env strings ("0.2").
WEBHOOK_ENV = {
    "LEDGERFLOW_WEBHOOKS_POLL_INTERVAL": "PT0.1S",
    "LEDGERFLOW_WEBHOOKS_MIN_BACKOFF": "PT0.2S",
    "LEDGERFLOW_WEBHOOKS_MAX_BACKOFF": "PT1S",
    "LEDGERFLOW_WEBHOOKS_HTTP_TIMEOUT": "PT10S",
}

LEDGER = "whbench"
_DATE = re.compile(rb'"date"\s*:\s*"([^"]+)"')


# --- the receiver --------------------------------------------------------------------------


@dataclass
class Request:
    arrival: float  # time.time()
    path: bytes
    webhook_id: bytes | None
    body: bytes
    status: int


@dataclass
class Receiver:
    """Counts requests and answers fast. `fail_first`: 500 to the first attempt of each
    webhook id (so the dispatcher hands the delivery to a retry workflow)."""

    fail_first: bool = False
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _seen: set[bytes] = field(default_factory=set)
    _server: asyncio.Server | None = None
    _target: int = 0
    _reached: asyncio.Event = field(default_factory=asyncio.Event)
    _count: Callable[[Request], bool] = field(default=lambda r: r.status == 200)
    _counted: int = 0
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        if self._server:
            self._server.close()
            for writer in list(self._writers):  # keep-alive connections: EOF to their readers
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reset(self, target: int, count: Callable[[Request], bool] | None = None) -> None:
        self.requests = []
        self._counted = 0
        self._target = target
        self._count = count or (lambda r: r.status == 200)
        self._reached = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reached.wait(), seconds)
        return self._reached.is_set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lower = head.lower()
                length = 0
                webhook_id = None
                for line in lower.split(b"\r\n")[1:]:
                    if line.startswith(b"content-length:"):
                        length = int(line[15:])
                    elif line.startswith(b"formance-webhook-id:"):
                        webhook_id = line[20:].strip()
                body = await reader.readexactly(length) if length else b""
                status = 200
                if self.fail_first and webhook_id is not None and webhook_id not in self._seen:
                    self._seen.add(webhook_id)
                    status = 500
                request = Request(time.time(), head.split(b" ", 2)[1], webhook_id, body, status)
                self.requests.append(request)
                if self._count(request):
                    self._counted += 1
                    if self._counted >= self._target:
                        self._reached.set()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" if status == 200
                             else b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0"
                                  b"\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return  # a client gone, or the loop ending: nothing to report
        finally:
            self._writers.discard(writer)
            writer.close()


# --- helpers -------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


def parse_date(raw: bytes | str) -> float:
    text = raw.decode() if isinstance(raw, bytes) else raw
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def event_date(body: bytes) -> float | None:
    found = _DATE.search(body)
    return parse_date(found.group(1)) if found else None


async def pg_sessions(dsn: str) -> int:
    """Sessions PostgreSQL opened so far (pg_stat_database.sessions): connection churn."""
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await conn.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
    finally:
        await conn.close()


def _envelope(i: int, now: datetime) -> str:
    """A ledger COMMITTED_TRANSACTIONS envelope shaped like the ones the ledger writes."""
    stamp = now.isoformat().replace("+00:00", "Z")
    return orjson.dumps({
        "date": stamp, "app": "ledger", "version": "v2", "type": "COMMITTED_TRANSACTIONS",
        "ledger": LEDGER,
        "payload": {"ledger": LEDGER, "accountMetadata": {}, "transactions": [{
            "id": i, "postings": [{"source": "world", "destination": f"users:{i}",
                                   "amount": 100, "asset": "USD/2"}],
            "metadata": {}, "timestamp": stamp, "insertedAt": stamp, "reverted": False}]},
    }).decode()


async def insert_outbox_events(dsn: str, count: int) -> float:
    """`count` events in one transaction; returns the commit time (time.time())."""
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        now = datetime.now(UTC)
        envelopes = [_envelope(i, now) for i in range(count)]
        await conn.execute(
            "INSERT INTO events_outbox (app, type, envelope) "
            "SELECT 'ledger', 'COMMITTED_TRANSACTIONS', e::jsonb FROM unnest($1::text[]) AS e",
            envelopes)
        return time.time()
    finally:
        await conn.close()


async def request(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any
                  ) -> httpx.Response:
    """One retry when a kept-alive connection was closed by the server while we sat idle
    waiting for deliveries (uvicorn closes idle ones after 5 s): the request was not served."""
    try:
        return await http.request(method, url, **kwargs)
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
        return await http.request(method, url, **kwargs)


def _bulk(start: int, size: int) -> list[dict[str, Any]]:
    return [{"action": "CREATE_TRANSACTION", "data": {"postings": [
        {"source": "world", "destination": f"users:{start + i}", "amount": 100,
         "asset": "USD/2"}]}} for i in range(size)]


async def post_bulks(http: httpx.AsyncClient, ledger: str, events: int, bulk_size: int,
                     rate: float | None = None) -> float:
    """`events` transactions in bulks on one connection; `rate` (transactions/s) paces them.
    Returns the time the writes took."""
    start = time.perf_counter()
    sent = 0
    while sent < events:
        size = min(bulk_size, events - sent)
        # An idempotency key per bulk: a retried bulk is replayed, not written twice.
        resp = await request(http, "POST", f"/api/ledger/v2/{ledger}/_bulk",
                             json=_bulk(sent, size),
                             headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"})
        if resp.status_code != 200:
            raise RuntimeError(f"bulk failed: {resp.status_code} {resp.text[:300]}")
        sent += size
        if rate:
            ahead = start + sent / rate - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
    return time.perf_counter() - start


def delivery_stats(requests: list[Request], t0: float, expected: int) -> dict[str, Any]:
    ok = [r for r in requests if r.status == 200]
    ids = {(r.path, r.webhook_id) for r in ok}
    latencies = []
    for r in ok:
        date = event_date(r.body)
        if date is not None:
            latencies.append((r.arrival - date) * 1000)
    last = max((r.arrival for r in ok), default=t0)
    elapsed = max(last - t0, 1e-9)
    return {
        "expected": expected, "delivered": len(ok), "unique": len(ids),
        "duplicates": len(ok) - len(ids), "elapsed_s": round(elapsed, 2),
        "deliveries_per_s": round(len(ok) / elapsed, 1),
        "latency_p50_ms": pct(latencies, 0.5), "latency_p99_ms": pct(latencies, 0.99),
        "latency_max_ms": round(max(latencies, default=0.0), 1),
    }


async def create_configs(http: httpx.AsyncClient, receiver: Receiver, count: int,
                         prefix: str) -> list[str]:
    ids = []
    for i in range(count):
        resp = await request(http, "POST", "/api/webhooks/configs", json={
            "endpoint": receiver.url(f"/{prefix}/{i}"),
            "eventTypes": ["ledger.committed_transactions"]})
        if resp.status_code != 200:
            raise RuntimeError(f"webhook config: {resp.status_code} {resp.text[:300]}")
        ids.append(str(resp.json()["data"]["id"]))
    return ids


async def delete_configs(http: httpx.AsyncClient, ids: list[str]) -> None:
    for config_id in ids:
        await request(http, "DELETE", f"/api/webhooks/configs/{config_id}")


async def create_ledger(http: httpx.AsyncClient, name: str) -> None:
    resp = await request(http, "POST", f"/api/ledger/v2/{name}", json={})
    if resp.status_code not in (204, 400):
        raise RuntimeError(f"create ledger {name}: {resp.status_code} {resp.text[:300]}")


# --- the benchmark -------------------------------------------------------------------------


async def _phase(stack: TemporalBenchStack, receiver: Receiver, name: str, events: int,
                 configs: int, produce: Callable[[], Awaitable[dict[str, Any]]],
                 timeout_s: float) -> dict[str, Any]:
    """One phase: `produce` makes the events and returns (t0 = its start, extra columns);
    then wait until every delivery arrived (or timeout_s)."""
    expected = events * configs
    receiver.reset(expected)
    cpu, sessions = stack.cpu_clock(), await pg_sessions(stack.database_url)
    extra = await produce()
    t0 = extra.pop("t0")
    complete = await receiver.wait(timeout_s)
    row = {"phase": name, "events": events, "configs": configs,
           **delivery_stats(receiver.requests, t0, expected), **extra, "complete": complete,
           **cpu.report(),
           # approximate (statistics are flushed about every second); minus our own probe
           "pg_sessions_opened": await pg_sessions(stack.database_url) - sessions - 1}
    print(f"  webhooks {name}: {row['deliveries_per_s']} deliveries/s", flush=True)
    return row


async def run_webhooks(stack: TemporalBenchStack, *, configs: int = 5, events: int = 500,
                       bulk_size: int = 50, timeout_s: float = 120.0) -> dict[str, Any]:
    receiver = Receiver()
    await receiver.start()
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
        config_ids = await create_configs(http, receiver, configs, "hook")
        await create_ledger(http, LEDGER)
        try:
            # 1. The dispatcher alone, draining a backlog inserted in one statement.
            async def backlog() -> dict[str, Any]:
                return {"t0": await insert_outbox_events(stack.database_url, events)}

            rows.append(await _phase(stack, receiver, "outbox-backlog", events, configs,
                                     backlog, timeout_s))

            # 2. End to end from ledger writes, as fast as one connection posts bulks.
            async def bulk() -> dict[str, Any]:
                t0 = time.time()
                write_s = await post_bulks(http, LEDGER, events, bulk_size)
                return {"t0": t0, "write_tps": round(events / write_s, 1)}

            rows.append(await _phase(stack, receiver, "ledger-bulk", events, configs, bulk,
                                     timeout_s))

            # 3. End to end at about half the backlog throughput: latency without queueing.
            rate = max(5.0, float(rows[0]["deliveries_per_s"]) / configs / 2)  # events/s
            paced_events = max(50, min(events, int(rate * 10)))  # about 10 s

            async def paced() -> dict[str, Any]:
                t0 = time.time()
                await post_bulks(http, LEDGER, paced_events, max(1, min(bulk_size,
                                                                        int(rate / 10))),
                                 rate=rate)
                return {"t0": t0, "write_tps": round(rate, 1)}

            rows.append(await _phase(stack, receiver, "ledger-paced", paced_events, configs,
                                     paced, timeout_s))
        finally:
            # Later benchmarks on this stack write ledger transactions: no deliveries for them.
            await delete_configs(http, config_ids)
            await receiver.close()
    return {"settings": WEBHOOK_ENV, "rows": rows}
