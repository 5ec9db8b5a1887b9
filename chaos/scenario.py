"""Runs one workflow scenario: the stack, the set-up, `clients` clients of mixed load for
`duration` seconds while the scenario's faults run, then the wait for every accepted
operation to finish, the invariants and the report."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from chaos import checks, report
from chaos.load import Load
from chaos.stack import ChaosStack

# Relative weights of the operation kinds each client picks from.
MIX = {"ledger": 4.0, "hold": 2.0, "initiation": 2.0, "flow": 1.5, "reconciliation": 0.5,
       "reversal": 0.7, "install": 0.15, "evaluation": 0.3}


@dataclass
class Run:
    stack: ChaosStack
    load: Load
    deadline: float
    kills: list[float] = field(default_factory=list)  # monotonic times of worker kills
    notes: dict[str, Any] = field(default_factory=dict)


Faults = Callable[[Run], Awaitable[None]]


async def run(name: str, faults: Faults, *, duration: float, clients: int,
              settle_timeout: float = 180.0, mix: dict[str, float] | None = None,
              sample_rss: bool = False, after: Faults | None = None) -> int:
    root = Path(tempfile.mkdtemp(prefix=f"ledgerflow-chaos-{name}-"))
    stack = ChaosStack(root)
    load = Load("", ())
    began = time.monotonic()
    try:
        await stack.start()
        load.base_url = stack.base_url
        limits = httpx.Limits(max_connections=clients + 8)
        async with httpx.AsyncClient(base_url=stack.base_url, limits=limits,
                                     timeout=httpx.Timeout(60.0, connect=2.0)) as http:
            await load.prepare(http, stack.psp_url, stack.receiver.url(),
                               stack.receiver.url("/export"), root)
            started = time.monotonic()
            the_run = Run(stack, load, started + duration)
            stop = asyncio.Event()
            background = [asyncio.create_task(checks.monitor(load, stack, stop))]
            if sample_rss:
                background.append(asyncio.create_task(report.sample_rss(the_run, stop)))
            await asyncio.gather(faults(the_run), *(
                load.client(i, http, the_run.deadline, mix or MIX) for i in range(clients)))
            settled = await checks.settle(load, stack, settle_timeout)
            stop.set()
            await asyncio.gather(*background)
        violations = await checks.invariants(load, stack)
        if after is not None:
            await after(the_run)
        the_run.notes["settle_s"] = round(settled, 1)
        the_run.notes["load_s"] = round(duration, 1)
        the_run.notes["total_s"] = round(time.monotonic() - began, 1)
        report.print_run(name, the_run, violations, started, clients)
    finally:
        await stack.stop()
    failed = any(violations.values())
    errors = sum(sum(t.errors_5xx.values()) for t in load.tallies.values())
    if failed or errors:  # the logs of a run with a 5xx are what explains it
        print(f"stack kept in {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0
