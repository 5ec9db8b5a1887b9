"""Scenario `soak` (`make soak`): mixed load with no faults for `duration` seconds: throughput per
30 s window, p99 per kind, RSS of the API, each worker and the dispatcher sampled every 10 s
(first and last third compared), and Temporal's history lengths per workflow type."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from chaos.scenario import Faults, Run
from workflows.client import connect


async def history_lengths(address: str) -> dict[str, dict[str, int]]:
    client = await connect(address)
    per_type: dict[str, list[int]] = defaultdict(list)
    running: dict[str, int] = defaultdict(int)
    async for wf in client.list_workflows(""):
        length = int(wf.history_length or 0)
        if wf.close_time is None:  # visibility has a running one's length only on describe
            running[wf.workflow_type] += 1
            length = (await client.get_workflow_handle(wf.id).describe()).history_length
        per_type[wf.workflow_type].append(length)
    return {t: {"workflows": len(v), "running": running[t], "max events": max(v)}
            for t, v in sorted(per_type.items())}


def faults() -> Faults:
    async def none(run: Run) -> None:
        await asyncio.sleep(max(0.0, run.deadline - time.monotonic()))

    return none


async def after(run: Run) -> None:
    run.notes["Temporal histories per workflow type"] = await history_lengths(
        run.stack.temporal.address)
