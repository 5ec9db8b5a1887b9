"""Scenario `workers`: one of the two worker processes (every task queue) SIGKILLed every
`every` seconds, restarted 2 s later, while clients run wallet holds, payment initiations
through the generic connector and the fake PSP, flow instances (send, delay, update,
wait_event, noop), trigger firings, reconciliation runs and ledger writes. The other worker
takes the work over; the time from each kill until everything in flight then has finished is
the takeover time."""

from __future__ import annotations

import asyncio
import time

from chaos.scenario import Faults, Run


def faults(every: float) -> Faults:
    async def kill_workers(run: Run) -> None:
        i = 0
        while time.monotonic() + every < run.deadline:
            await asyncio.sleep(every)
            victim = i % run.stack.worker_count
            i += 1
            run.stack.kill_worker(victim)
            run.kills.append(time.monotonic())
            await asyncio.sleep(2.0)
            run.stack.start_worker(victim)

    return kill_workers

