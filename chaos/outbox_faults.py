"""Scenario `outbox`: the events dispatcher (webhooks, search indexer, triggers consumer)
SIGKILLed every `every` seconds and restarted 1 s later, mid-batch under steady ledger writes;
once in the run PostgreSQL itself is SIGKILLed (postmaster and backends) and restarted. At the
end every committed-transactions event must have reached webhooks (at least once, the
duplicates counted), the triggers consumer (exactly one occurrence and instance) and search
(one document per transaction), and every consumer's offset must be at the last event."""

from __future__ import annotations

import asyncio
import time

from chaos.scenario import Faults, Run


def faults(every: float) -> Faults:
    async def kill_dispatcher(run: Run) -> None:
        i = 0
        while time.monotonic() + every < run.deadline:
            await asyncio.sleep(every)
            i += 1
            if i == 3:  # once: PostgreSQL itself
                run.stack.kill_pg()
                await asyncio.sleep(2.0)
                await run.stack.start_pg()
                continue
            run.stack.kill_dispatcher()
            run.kills.append(time.monotonic())
            await asyncio.sleep(1.0)
            run.stack.start_dispatcher()

    return kill_dispatcher


# Mostly ledger writes (the outbox's producer), a tenth of them matching the trigger.
MIX = {"ledger": 8.0, "hold": 1.0, "flow": 0.5}
