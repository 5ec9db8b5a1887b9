"""Mixed load over HTTP, each client following the README's contract: every write carries an
Idempotency-Key; a 503 or a lost answer is resent with the same key (bounded); a refused
business answer is final. Each operation kind keeps its own tally, its 5xx answers (status and
body) and, per operation, when it was accepted and when it was seen complete, so that the time
to take over after a kill can be read afterwards (operations in flight at the kill)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

LEDGER = "chaos"
FLOWS_LEDGER = "chaos-flows"
P = "/api/payments/v3"
O = "/api/orchestration/v2"  # noqa: E741 - the module's prefix
R = "/api/reconciliation"


@dataclass
class Op:
    kind: str
    key: str
    accepted_at: float
    completed_at: float | None = None
    ref: str = ""  # what the checks look up (initiation id, instance id, hold id, rid)


@dataclass
class Tally:
    sent: int = 0
    completed: int = 0
    refused: int = 0
    unknown: int = 0
    retried: int = 0
    errors_5xx: Counter[str] = field(default_factory=Counter)  # "503 <body excerpt>" -> n
    other: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


class Answer(Exception):
    """A final non-success answer (refused or given up)."""


@dataclass
class Load:
    base_url: str
    kinds: tuple[str, ...]
    tallies: dict[str, Tally] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    completions: list[tuple[float, str]] = field(default_factory=list)  # (time, kind)
    setup: dict[str, str] = field(default_factory=dict)

    def tally(self, kind: str) -> Tally:
        return self.tallies.setdefault(kind, Tally())

    async def request(self, http: httpx.AsyncClient, kind: str, method: str, path: str,
                      ok: tuple[int, ...], deadline: float, *, key: str | None = None,
                      refused: tuple[str, ...] = (), count: bool = True,
                      **kw: Any) -> httpx.Response:
        """One logical request, resent as the contract allows. Raises Answer when it ends
        without success."""
        t = self.tally(kind)
        headers = {"Idempotency-Key": key} if key else {}
        attempts = 0
        while True:
            attempts += 1
            try:
                if count:
                    t.sent += 1
                r = await http.request(method, path, headers=headers, **kw)
            except httpx.ConnectError:  # never left: the API is restarting
                if count:
                    t.sent -= 1
                if time.monotonic() > deadline + 60:
                    t.unknown += count
                    raise Answer("api unreachable") from None
                await asyncio.sleep(0.3)
                continue
            except httpx.HTTPError as exc:
                reason = f"lost:{exc.__class__.__name__}"
            else:
                if r.status_code in ok:
                    return r
                code = r.json().get("errorCode", "") if r.content else ""
                if r.status_code >= 500:
                    t.errors_5xx[f"{r.status_code} {r.text[:160]}"] += 1
                    reason = f"{r.status_code}"
                elif code in refused:
                    t.refused += count
                    raise Answer(code)
                else:
                    message = r.json().get("errorMessage", "")[:90] if r.content else ""
                    t.other[f"{method} {path.split('/')[-1][:20]} {r.status_code} {code} "
                            f"{message}"] += 1
                    if count:
                        t.unknown += 1
                    raise Answer(f"{r.status_code} {r.text[:200]}")
            # Resent with the same key (a keyless read is always safe to resend).
            if attempts >= 40 or time.monotonic() > deadline + 60:
                t.unknown += count
                raise Answer(f"gave up after {reason}")
            if count:
                t.retried += 1
            await asyncio.sleep(min(0.25 * attempts, 2.0))

    def done(self, op: Op, kind: str) -> None:
        if op.completed_at is not None:  # the monitor and the final settle both poll
            return
        now = time.monotonic()
        op.completed_at = now
        self.completions.append((now, kind))
        t = self.tally(kind)
        t.completed += 1
        t.latencies.append(now - op.accepted_at)

    # --- set-up --------------------------------------------------------------------------

    async def prepare(self, http: httpx.AsyncClient, psp_url: str, receiver_url: str,
                      export_url: str, root: Path) -> None:
        far = time.monotonic() + 120
        self.setup["psp"] = psp_url
        for ledger in (LEDGER, FLOWS_LEDGER):
            await self.request(http, "setup", "POST", f"/api/ledger/v2/{ledger}", (204, 400),
                               far, json={})
        r = await self.request(http, "setup", "POST", "/api/webhooks/configs", (200,), far,
                               json={"endpoint": receiver_url,
                                     "eventTypes": ["ledger.committed_transactions"]})
        self.setup["webhook"] = str(r.json()["data"]["id"])
        r = await self.request(http, "setup", "POST", f"{P}/connectors/install/generic", (202,),
                               far, json={"name": "chaos", "apiKey": "k", "endpoint": psp_url,
                                          "pollingPeriod": "20m"})
        connector = str(r.json()["data"])
        self.setup["connector"] = connector
        # The generic connector's accounts are the provider's: fetched after the install.
        accounts: list[str] = []
        while len(accounts) < 2:
            if time.monotonic() > far:
                raise Answer("the connector's accounts were never fetched")
            await asyncio.sleep(0.5)
            r = await self.request(http, "setup", "GET", f"{P}/accounts", (200,), far,
                                   params={"pageSize": 10})
            accounts = sorted(str(a["id"]) for a in r.json()["cursor"]["data"]
                              if a.get("connectorID") == connector)
        self.setup["source"], self.setup["destination"] = accounts[:2]
        # dummypay (files) for reversals: the generic API cannot reverse.
        directory = root / "dummypay"
        directory.mkdir(parents=True, exist_ok=True)
        r = await self.request(http, "setup", "POST", f"{P}/connectors/install/dummypay",
                               (202,), far, json={"name": "chaos-dummy",
                                                  "directory": str(directory),
                                                  "pollingPeriod": "20m",
                                                  "payoutsPerSecond": 1000})
        self.setup["dummypay"] = dummy = str(r.json()["data"])
        for ref in ("from", "to"):
            r = await self.request(http, "setup", "POST", f"{P}/accounts", (201,), far, json={
                "reference": f"chaos-{ref}", "connectorID": dummy,
                "createdAt": "2025-01-01T00:00:00Z", "accountName": ref, "type": "INTERNAL"})
            self.setup[f"dummy-{ref}"] = str(r.json()["data"]["id"])
        send = {"send": {"source": {"account": {"id": "world", "ledger": FLOWS_LEDGER}},
                         "destination": {"account": {"id": "flows:${user}",
                                                     "ledger": FLOWS_LEDGER}},
                         "amount": {"asset": "USD/2", "amount": 100}}}
        stages = [send, {"delay": {"duration": "1s"}},
                  {"update": {"account": {"id": "flows:${user}", "ledger": FLOWS_LEDGER,
                                          "metadata": {"seen": "yes"}}}},
                  {"wait_event": {"event": "go"}}, {"noop": {}}]
        r = await self.request(http, "setup", "POST", f"{O}/workflows", (201,), far,
                               json={"stages": stages})
        self.setup["flow"] = str(r.json()["data"]["id"])
        r = await self.request(http, "setup", "POST", f"{O}/workflows", (201,), far,
                               json={"stages": [{"noop": {}}]})
        r = await self.request(http, "setup", "POST", f"{O}/triggers", (201,), far, json={
            "event": "COMMITTED_TRANSACTIONS", "workflowID": str(r.json()["data"]["id"]),
            "filter": 'event.transactions[0].postings[0].destination startsWith "trig:"'})
        self.setup["trigger"] = str(r.json()["data"]["id"])
        r = await self.request(http, "setup", "POST", f"{P}/pools", (201,), far,
                               json={"name": "chaos", "accountIDs": [accounts[0]]})
        r = await self.request(http, "setup", "POST", f"{R}/policies", (201,), far, json={
            "name": "chaos", "ledgerName": LEDGER, "ledgerQuery": {"$match": {"address":
                                                                              "bank:"}},
            "paymentsPoolID": str(r.json()["data"])})
        self.setup["policy"] = str(r.json()["data"]["id"])
        r = await self.request(http, "setup", "POST", f"{R}/rules", (201,), far, json={
            "name": "chaos books balance", "templateKind": "ledger_invariant",
            "templateSpec": {"ledgerName": LEDGER}, "severity": "high"})
        self.setup["rule"] = str(r.json()["data"]["id"])
        # A ledger pipeline exporting the chaos ledger's logs to the receiver (at least once).
        r = await self.request(http, "setup", "POST", "/api/ledger/v2/_/exporters", (201,), far,
                               json={"driver": "http", "config": {"url": export_url}})
        await self.request(http, "setup", "POST", f"/api/ledger/v2/{LEDGER}/pipelines", (201,),
                           far, json={"exporterID": str(r.json()["data"]["id"])})
        r = await self.request(http, "setup", "POST", "/api/wallets/wallets", (201,), far,
                               json={"name": "chaos", "metadata": {}})
        self.setup["wallet"] = str(r.json()["data"]["id"])
        await self.request(http, "setup", "POST",
                           f"/api/wallets/wallets/{self.setup['wallet']}/credit", (204,), far,
                           json={"amount": {"asset": "USD/2", "amount": 10**12}})

    # --- operations ------------------------------------------------------------------------

    async def ledger_write(self, http: httpx.AsyncClient, rng: random.Random,
                           deadline: float) -> None:
        rid = uuid.uuid4().hex
        trig = rng.random() < 0.1
        kind = "trigger firing" if trig else "ledger write"
        dest = f"trig:{rid[:12]}" if trig else f"users:{rng.randrange(64)}"
        op = Op(kind, rid, time.monotonic(), ref=rid)
        await self.request(http, kind, "POST", f"/api/ledger/v2/{LEDGER}/transactions",
                           (200, 201), deadline, key=rid, json={
                               "postings": [{"source": "world", "destination": dest,
                                             "amount": rng.randint(1, 40), "asset": "USD/2"}],
                               "metadata": {"rid": rid}})
        self.ops.append(op)
        if trig:  # complete when its instance has run (seen by the monitor)
            return
        self.done(op, kind)

    async def hold(self, http: httpx.AsyncClient, rng: random.Random, deadline: float) -> None:
        key = uuid.uuid4().hex
        wallet = self.setup["wallet"]
        t0 = time.monotonic()
        r = await self.request(http, "wallet hold", "POST",
                               f"/api/wallets/wallets/{wallet}/debit", (201,), deadline,
                               key=key, refused=("INSUFFICIENT_FUND",), json={
                                   "amount": {"asset": "USD/2", "amount": 100},
                                   "metadata": {"rid": key}, "pending": True})
        hold_id = str(r.json()["data"]["id"])
        op = Op("wallet hold", key, t0, ref=hold_id)
        self.ops.append(op)
        await self.request(http, "wallet hold", "POST", f"/api/wallets/holds/{hold_id}/confirm",
                           (204,), deadline, key=f"{key}-confirm", count=False, json={})
        self.done(op, "wallet hold")

    async def initiation(self, http: httpx.AsyncClient, rng: random.Random,
                         deadline: float) -> None:
        key = uuid.uuid4().hex
        t0 = time.monotonic()
        r = await self.request(http, "payment initiation", "POST", f"{P}/payment-initiations",
                               (202,), deadline, key=key, params={"noValidation": "true"},
                               json={"reference": f"chaos-{key}",
                                     "connectorID": self.setup["connector"],
                                     "type": "TRANSFER", "amount": 100, "asset": "EUR/2",
                                     "description": "chaos",
                                     "sourceAccountID": self.setup["source"],
                                     "destinationAccountID": self.setup["destination"]})
        self.ops.append(Op("payment initiation", key, t0,
                           ref=str(r.json()["data"]["paymentInitiationID"])))

    async def flow(self, http: httpx.AsyncClient, rng: random.Random, deadline: float) -> None:
        user = uuid.uuid4().hex[:12]
        t0 = time.monotonic()
        r = await self.request(http, "flow instance", "POST",
                               f"{O}/workflows/{self.setup['flow']}/instances", (201,),
                               deadline, key=user, json={"user": user})
        op = Op("flow instance", user, t0, ref=str(r.json()["data"]["id"]))
        self.ops.append(op)
        # The wait_event stage: sent until accepted (too early is answered 4xx, resent).
        while time.monotonic() < deadline + 120:
            try:
                r = await http.post(f"{O}/instances/{op.ref}/events", json={"name": "go"})
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
                continue
            if r.status_code == 204:
                return
            if r.status_code >= 500:
                self.tally("flow instance").errors_5xx[f"{r.status_code} {r.text[:160]}"] += 1
            elif r.status_code == 400 and "finished" in r.text.lower():
                return
            await asyncio.sleep(0.5)

    async def reversal(self, http: httpx.AsyncClient, rng: random.Random,
                       deadline: float) -> None:
        """A dummypay initiation sent, then reversed whole; complete when REVERSED."""
        key = uuid.uuid4().hex
        t0 = time.monotonic()
        r = await self.request(http, "reversal", "POST", f"{P}/payment-initiations", (202,),
                               deadline, key=key, params={"noValidation": "true"},
                               json={"reference": f"chaos-rev-{key}",
                                     "connectorID": self.setup["dummypay"],
                                     "type": "TRANSFER", "amount": 100, "asset": "EUR/2",
                                     "description": "chaos",
                                     "sourceAccountID": self.setup["dummy-from"],
                                     "destinationAccountID": self.setup["dummy-to"]})
        pid = str(r.json()["data"]["paymentInitiationID"])
        while True:  # the reversal needs the initiation PROCESSED first
            if time.monotonic() > deadline + 120:
                self.tally("reversal").unknown += 1
                return
            r = await self.request(http, "reversal", "GET", f"{P}/payment-initiations/{pid}",
                                   (200,), deadline, count=False)
            if r.json()["data"]["status"] == "PROCESSED":
                break
            await asyncio.sleep(0.5)
        # The row says PROCESSED a moment before the initiation's workflow has taken the send's
        # result in; meanwhile a reverse is refused "... that is PROCESSING": resent (counted).
        for attempt in range(30):
            try:
                await self.request(http, "reversal", "POST",
                                   f"{P}/payment-initiations/{pid}/reverse", (202,), deadline,
                                   key=f"{key}-rev", count=False,
                                   json={"reference": f"chaos-refund-{key}",
                                         "description": "refund", "amount": 100,
                                         "asset": "EUR/2"})
                break
            except Answer as exc:
                if "PROCESSING" not in str(exc) or attempt == 29:
                    raise
                await asyncio.sleep(1.0)
        self.ops.append(Op("reversal", key, t0, ref=pid))

    async def install(self, http: httpx.AsyncClient, rng: random.Random,
                      deadline: float) -> None:
        """A generic connector installed; complete when its first fetch stored accounts."""
        key = uuid.uuid4().hex[:12]
        t0 = time.monotonic()
        r = await self.request(http, "connector install", "POST",
                               f"{P}/connectors/install/generic", (202,), deadline, key=key,
                               json={"name": f"chaos-{key}", "apiKey": "k",
                                     "endpoint": self.setup["psp"], "pollingPeriod": "20m"})
        self.ops.append(Op("connector install", key, t0, ref=str(r.json()["data"])))

    async def reconciliation(self, http: httpx.AsyncClient, rng: random.Random,
                             deadline: float) -> None:
        op = Op("reconciliation run", "", time.monotonic())
        now = datetime.now(UTC).isoformat()
        self.ops.append(op)
        await self.request(http, "reconciliation run", "POST",
                           f"{R}/policies/{self.setup['policy']}/reconciliation", (200,),
                           deadline, json={"reconciledAtLedger": now, "reconciledAtPayments": now})
        self.done(op, "reconciliation run")

    async def evaluation(self, http: httpx.AsyncClient, rng: random.Random,
                         deadline: float) -> None:
        """A rule evaluated on demand (one at a time per rule: a concurrent one is 409)."""
        op = Op("rule evaluation", "", time.monotonic())
        r = await self.request(http, "rule evaluation", "POST",
                               f"{R}/rules/{self.setup['rule']}/evaluate", (200, 409), deadline,
                               json={})
        if r.status_code == 409:
            self.tally("rule evaluation").refused += 1
            return
        self.ops.append(op)
        op.ref = str(r.json()["data"].get("status"))
        self.done(op, "rule evaluation")

    async def client(self, index: int, http: httpx.AsyncClient, deadline: float,
                     weights: dict[str, float]) -> None:
        rng = random.Random(index)
        names = list(weights)
        table = {"ledger": self.ledger_write, "hold": self.hold, "initiation": self.initiation,
                 "flow": self.flow, "reconciliation": self.reconciliation,
                 "reversal": self.reversal, "install": self.install,
                 "evaluation": self.evaluation}
        while time.monotonic() < deadline:
            name = rng.choices(names, [weights[n] for n in names])[0]
            with contextlib.suppress(Answer):
                await table[name](http, rng, deadline)
            # A client of a real user paces itself a little: the point is faults, not a bench.
            await asyncio.sleep(rng.uniform(0.05, 0.2))
