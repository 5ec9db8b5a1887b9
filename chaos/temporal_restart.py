"""Scenario `temporal`: the Temporal dev server SIGKILLed a third into the run and started again
`outage` seconds later on the same SQLite file and port. While it is away, probes ask for what
needs Temporal (a pending wallet debit, a payment initiation, a flow instance) and for what
does not (a ledger write): the first must be answered 503 with a clear body, the second 2xx.
Afterwards every workflow must resume: the invariants count anything left unfinished."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import httpx

from chaos.load import LEDGER, O, P
from chaos.scenario import Faults, Run


async def _probe(run: Run, http: httpx.AsyncClient, seen: Counter[str],
                 bodies: dict[str, str]) -> None:
    setup = run.load.setup
    key = uuid.uuid4().hex
    probes = {
        "ledger write": ("POST", f"/api/ledger/v2/{LEDGER}/transactions", {"postings": [{
            "source": "world", "destination": "probe:1", "amount": 1, "asset": "USD/2"}]}),
        "wallet hold": ("POST", f"/api/wallets/wallets/{setup['wallet']}/debit", {
            "amount": {"asset": "USD/2", "amount": 1}, "pending": True}),
        "payment initiation": ("POST", f"{P}/payment-initiations?noValidation=true", {
            "reference": f"probe-{key}", "connectorID": setup["connector"], "type": "TRANSFER",
            "amount": 1, "asset": "EUR/2", "sourceAccountID": setup["source"],
            "destinationAccountID": setup["destination"]}),
        "flow instance": ("POST", f"{O}/workflows/{setup['flow']}/instances", {"user": key}),
    }
    for name, (method, path, body) in probes.items():
        try:
            r = await http.request(method, path, json=body, timeout=30)
        except httpx.HTTPError as exc:
            seen[f"{name}: {exc.__class__.__name__}"] += 1
            continue
        seen[f"{name}: {r.status_code}"] += 1
        if r.status_code >= 500:
            bodies[f"{name} {r.status_code}"] = r.text[:200]


def faults(outage: float) -> Faults:
    async def restart_temporal(run: Run) -> None:
        await asyncio.sleep((run.deadline - time.monotonic()) / 3)
        run.stack.kill_temporal()
        down = time.monotonic()
        run.kills.append(down)
        seen: Counter[str] = Counter()
        bodies: dict[str, str] = {}
        async with httpx.AsyncClient(base_url=run.stack.base_url) as http:
            await asyncio.sleep(1.0)
            while time.monotonic() - down < outage:
                await _probe(run, http, seen, bodies)
                await asyncio.sleep(1.0)
        await run.stack.start_temporal()
        run.notes["temporal down s"] = round(time.monotonic() - down, 1)
        run.notes["probes while Temporal was down"] = dict(seen)
        run.notes["503 bodies while down"] = bodies

    return restart_temporal
