"""The ledger write path under faults, as a user's operations team would see it.

A throwaway stack on loopback: PostgreSQL (durable settings: fsync and synchronous commit on),
the API as its own uvicorn process reaching PostgreSQL through the fault-injecting proxy of
tests/support, and CLIENTS clients sending contested transfers (sources with little money,
so many are refused for insufficient funds), half of them with an Idempotency-Key. Meanwhile,
one fault every few seconds: the reply to a COMMIT or to a write statement lost, every database
connection cut, PostgreSQL killed with SIGKILL (the whole process group) and restarted, the
API killed with SIGKILL and restarted.

Clients behave as the README's contract asks: a request answered 503 "database unavailable,
retry" was not written and is sent again; a keyed request whose outcome is unknown (503 saying
so, or the answer lost with the API) is sent again with the same key; a keyless one is not (its
outcome stays "unknown" to the client).
At the end, read straight from PostgreSQL, the invariants (goal: 0 violations each):
- no doubles: no request id appears on two transactions;
- no overdraft: no account but @world holds a negative balance;
- the log hash chain verifies, ids without gaps;
- every acknowledged write is in the ledger (with the id it was acknowledged with);
- no refused write is in the ledger."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from domain.ledger.errors import ImportLogsError
from domain.ledger.importing import ImportedLog, verify
from storage import migrate
from tests.support.fault_proxy import FaultProxy
from workers.embedded_postgres import EmbeddedPostgres

LEDGER = "chaos"
SOURCES = [f"bank:{k}" for k in range(8)]
USERS = [f"users:{k}" for k in range(32)]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Tally:
    sent: int = 0  # HTTP requests that left the client
    acknowledged: int = 0
    refused: int = 0  # INSUFFICIENT_FUND (a business answer)
    unknown: int = 0  # gave up without a definitive answer
    retried: int = 0  # resent (same key) after a 503 or a lost answer
    other: Counter[str] = field(default_factory=Counter)
    acked: dict[str, int] = field(default_factory=dict)  # request id -> transaction id
    refused_ids: set[str] = field(default_factory=set)
    unknown_ids: set[str] = field(default_factory=set)
    answers_503: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)


class Stack:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg = EmbeddedPostgres(root / "pg", _free_port(), max_connections=200)
        self.proxy: FaultProxy | None = None
        self.api: subprocess.Popen[bytes] | None = None
        self.api_port = _free_port()

    @property
    def direct_url(self) -> str:
        return self.pg.url("ledgerflow")

    async def start(self) -> None:
        self.pg.start()
        self.pg.create_database("ledgerflow")
        engine = create_async_engine(self.direct_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        self.proxy = await FaultProxy("127.0.0.1", self.pg.port).start()
        await self.start_api()

    def _spawn_api(self) -> None:
        assert self.proxy is not None
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.proxy.port}/ledgerflow"
        env = dict(os.environ, DATABASE_URL=url, API_PORT=str(self.api_port),
                   API_HOST="127.0.0.1", TEMPORAL_ADDRESS="127.0.0.1:1", LOG_LEVEL="WARNING",
                   AUTH_ENABLED="false")
        log = open(self.root / "api.log", "ab")  # noqa: SIM115 - kept for the child
        self.api = subprocess.Popen([sys.executable, "-m", "workers", "api"], env=env,
                                    stdout=log, stderr=log)

    async def start_api(self) -> None:
        self._spawn_api()
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                try:
                    r = await client.get(f"http://127.0.0.1:{self.api_port}/api/ledger/_info",
                                         timeout=1)
                    if r.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the API did not start; see {self.root / 'api.log'}")

    def kill_api(self) -> None:
        if self.api is not None and self.api.poll() is None:
            self.api.kill()
            self.api.wait()

    def kill_pg(self) -> None:
        proc = self.pg.process
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # postmaster and every backend, like a crash
            proc.wait()
        self.pg.process = None

    async def stop(self) -> None:
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(30)
            except subprocess.TimeoutExpired:
                self.api.kill()
        if self.proxy is not None:
            await self.proxy.stop()
        self.pg.stop()


async def _client(index: int, stack: Stack, tally: Tally, deadline: float) -> None:
    rng = random.Random(index)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}",
                                 timeout=httpx.Timeout(60.0, connect=2.0)) as client:
        while time.monotonic() < deadline:
            rid = uuid.uuid4().hex
            keyed = rng.random() < 0.5
            source = rng.choice(SOURCES + USERS)
            body = {"postings": [{"source": source, "destination": rng.choice(USERS),
                                  "amount": rng.randint(1, 40), "asset": "USD"}],
                    "metadata": {"rid": rid}}
            headers = {"Idempotency-Key": rid} if keyed else {}
            await _send(client, body, headers, rid, keyed, tally, deadline)


async def _send(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str],
                rid: str, keyed: bool, tally: Tally, deadline: float) -> None:
    attempts = 0
    while True:
        attempts += 1
        try:
            tally.sent += 1
            r = await client.post(f"/api/ledger/v2/{LEDGER}/transactions", json=body,
                                  headers=headers)
        except httpx.ConnectError:  # the API is down: the request never left
            tally.sent -= 1
            if time.monotonic() > deadline + 30:
                tally.unknown += 1
                return
            await asyncio.sleep(0.2)
            continue
        except httpx.HTTPError as exc:  # sent, answer lost (the API was killed)
            outcome: str | None = f"lost:{exc.__class__.__name__}"
        else:
            if r.status_code in (200, 201):
                tally.acknowledged += 1
                tally.acked[rid] = int(r.json()["data"]["id"])
                return
            code = r.json().get("errorCode") if r.content else None
            if r.status_code == 400 and code == "INSUFFICIENT_FUND":
                tally.refused += 1
                tally.refused_ids.add(rid)
                return
            if r.status_code != 503:
                tally.other[f"{r.status_code} {code}"] += 1
                return
            unwritten = r.json().get("errorMessage") == "database unavailable, retry"
            outcome = "503 unavailable" if unwritten else "503 outcome unknown"
            tally.answers_503[outcome] += 1
        # The README's contract: "database unavailable, retry" means nothing was written (any
        # request may be resent); an unknown outcome may be resent only with the same key.
        may_resend = keyed or outcome == "503 unavailable"
        if not may_resend or attempts >= 20 or time.monotonic() > deadline + 30:
            tally.unknown += 1
            tally.unknown_ids.add(rid)
            tally.other[f"unknown after {outcome}"] += 1
            return
        tally.retried += 1
        await asyncio.sleep(0.2 * attempts)


async def _faults(stack: Stack, tally: Tally, deadline: float, every: float,
                  rng: random.Random) -> None:
    assert stack.proxy is not None
    kinds = ["lose_commit_reply", "lose_statement_reply", "cut_all", "kill_pg", "kill_api"]
    i = 0
    while time.monotonic() + every < deadline:
        await asyncio.sleep(every)
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        i += 1
        tally.faults[kind] += 1
        if kind == "lose_commit_reply":
            stack.proxy.lose_reply_after(b"COMMIT", times=3)
        elif kind == "lose_statement_reply":
            stack.proxy.lose_reply_after(b'"rid"', times=3)  # a write statement's Bind
        elif kind == "cut_all":
            stack.proxy.cut_all()
        elif kind == "kill_pg":
            stack.kill_pg()
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            await asyncio.to_thread(stack.pg.start)
        elif kind == "kill_api":
            stack.kill_api()
            await asyncio.sleep(0.3)
            await stack.start_api()


async def _fund(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}",
                                 timeout=30) as client:
        r = await client.post(f"/api/ledger/v2/{LEDGER}", json={})
        assert r.status_code == 204, r.text
        for source in SOURCES:
            r = await client.post(f"/api/ledger/v2/{LEDGER}/transactions", json={
                "postings": [{"source": "world", "destination": source, "amount": 2000,
                              "asset": "USD"}]})
            assert r.status_code in (200, 201), r.text


async def _sigterm_under_stall(stack: Stack, clients: int) -> float:
    """SIGTERM while every database connection of the API hangs and `clients` writes are in
    flight: seconds until the process has exited (API_SHUTDOWN_GRACE_SECONDS bounds it)."""
    assert stack.proxy is not None and stack.api is not None
    stack.proxy.stall()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}",
                                 timeout=120) as client:
        body = {"postings": [{"source": "world", "destination": "users:0", "amount": 1,
                              "asset": "USD"}]}
        tasks = [asyncio.create_task(client.post(f"/api/ledger/v2/{LEDGER}/transactions",
                                                 json=body)) for _ in range(clients)]
        await asyncio.sleep(1.0)
        started = time.monotonic()
        stack.api.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(stack.api.wait, 120)
        except subprocess.TimeoutExpired:
            stack.api.kill()
        elapsed = time.monotonic() - started
        await asyncio.gather(*tasks, return_exceptions=True)
    stack.proxy.unstall()
    return elapsed


async def _check(stack: Stack, tally: Tally) -> dict[str, int]:
    conn = await asyncpg.connect(stack.direct_url.replace("+asyncpg", ""))
    try:
        doubles = await conn.fetchval(
            "SELECT count(*) FROM (SELECT metadata->>'rid' FROM transactions WHERE ledger = $1 "
            "AND metadata ? 'rid' GROUP BY 1 HAVING count(*) > 1) d", LEDGER)
        overdrafts = await conn.fetchval(
            "SELECT count(*) FROM accounts_volumes WHERE ledger = $1 AND address <> 'world' "
            "AND input - output < 0", LEDGER)
        present = {r["rid"]: r["id"] for r in await conn.fetch(
            "SELECT metadata->>'rid' AS rid, id FROM transactions WHERE ledger = $1 "
            "AND metadata ? 'rid'", LEDGER)}
        rows = await conn.fetch(
            "SELECT id, type, data::text, date, hash, idempotency_key, idempotency_hash "
            "FROM logs WHERE ledger = $1 ORDER BY id", LEDGER)
    finally:
        await conn.close()
    import json

    logs = [ImportedLog(r["id"], r["type"], json.loads(r["data"]), r["date"], bytes(r["hash"]),
                        r["idempotency_key"], r["idempotency_hash"]) for r in rows]
    try:
        verify(logs, 0, None)
        chain = 0
    except ImportLogsError as exc:
        print(f"hash chain: {exc}")
        chain = 1
    missing = sum(1 for rid, tx in tally.acked.items() if present.get(rid) != tx)
    refused_present = sum(1 for rid in tally.refused_ids if rid in present)
    tally.other["unknown to the client, found in the ledger"] = sum(
        1 for rid in tally.unknown_ids if rid in present)
    return {"doubles": int(doubles), "overdrafts": int(overdrafts), "hash chain": chain,
            "acknowledged but missing": missing, "refused but written": refused_present,
            "logs": len(logs)}


async def run(duration: float, clients: int, every: float, seed: int) -> int:
    root = Path(tempfile.mkdtemp(prefix="ledgerflow-chaos-"))
    stack = Stack(root)
    tally = Tally()
    started = time.monotonic()
    try:
        await stack.start()
        await _fund(stack)
        deadline = time.monotonic() + duration
        rng = random.Random(seed)
        await asyncio.gather(_faults(stack, tally, deadline, every, rng),
                             *(_client(i, stack, tally, deadline) for i in range(clients)))
        if stack.proxy is not None:
            stack.proxy.up()
        violations = await _check(stack, tally)
        sigterm_s = await _sigterm_under_stall(stack, clients)
    finally:
        await stack.stop()
    logs = violations.pop("logs")
    print(f"\nchaos: {clients} clients, {duration:.0f} s of load, one fault every {every:.0f} s "
          f"({dict(tally.faults)}), {time.monotonic() - started:.0f} s in all")
    print(f"requests sent {tally.sent}, acknowledged {tally.acknowledged}, refused "
          f"{tally.refused} (insufficient funds), unknown {tally.unknown}, retried "
          f"{tally.retried}; ledger logs {logs}")
    if stack.proxy is not None:
        print(f"proxy: {stack.proxy.replies_lost} replies lost after the server answered, "
              f"{stack.proxy.cuts} connections cut; 503 answers: {dict(tally.answers_503)}")
    if tally.other:
        print(f"other: {dict(tally.other)}")
    api_log = (root / "api.log").read_text(errors="replace").splitlines()
    print(f"API log: {len(api_log)} lines, "
          f"{sum('Traceback' in line for line in api_log)} tracebacks")
    print(f"SIGTERM with every database connection hung and {clients} writes in flight: the "
          f"API exited in {sigterm_s:.1f} s")
    for name, count in violations.items():
        print(f"  {name}: {count} violation(s)")
    shutil.rmtree(root, ignore_errors=True) if not any(violations.values()) else print(
        f"stack kept in {root}")
    return 1 if any(violations.values()) else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--every", type=float, default=4.0, help="seconds between faults")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.duration, args.clients, args.every, args.seed)))
