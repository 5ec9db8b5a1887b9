"""Temporal workers: one Worker per task queue this process polls, all in one process in dev.

The sandbox stays on. `domain` and `pydantic` pass through: they are deterministic, and
re-importing pydantic per workflow run would cost seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from config.modules import ModuleSettings
from config.settings import Settings
from storage.database import Database
from workers.registration import Registration
from workers.registry import registrations
from workflows import task_queues
from workflows.client import connect

log = logging.getLogger("ledgerflow.workers")


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("domain", "pydantic")
    )


# A workflow's next task goes first to the worker that ran its previous one (its sticky queue,
# where the workflow is cached). When that worker died, Temporal waits this long before handing
# the task to any worker of the queue (the SDK's default is 10 s): short, so a killed worker
# holds its workflows up for seconds only; a live worker takes a sticky task in milliseconds.
STICKY_QUEUE_TIMEOUT = timedelta(seconds=2)


def worker_options() -> dict[str, Any]:
    """What every Worker of ours is built with (production, tests, replay of the same code)."""
    return {"workflow_runner": sandbox_runner(),
            "sticky_queue_schedule_to_start_timeout": STICKY_QUEUE_TIMEOUT}


def selected_queues(setting: str, configured: Iterable[str] = ()) -> list[str]:
    """`all`, or a comma-separated list of known task queues (the reserved names and those the
    module settings configure)."""
    known = list(dict.fromkeys([*task_queues.ALL, *configured]))
    if setting.strip() == "all":
        return known
    wanted = [q.strip() for q in setting.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ValueError(f"unknown task queue(s) {unknown}; known: {', '.join(known)} or 'all'")
    return wanted


def build_workers(client: Client, regs: dict[str, Registration], queues: Iterable[str],
                  executor: ThreadPoolExecutor) -> list[Worker]:
    workers = []
    for queue in queues:
        reg = regs.get(queue)
        if not reg:
            log.info("task queue %s has nothing to run yet; not polling it", queue)
            continue
        workers.append(Worker(
            client, task_queue=queue, workflows=reg.workflows, activities=reg.activities,
            activity_executor=executor, **worker_options(),
        ))
    return workers


async def run_workers(settings: Settings, stop: asyncio.Event) -> None:
    """Poll until `stop` is set, then finish in-flight tasks (graceful shutdown)."""
    database = Database(settings.effective_database_url, pool_size=settings.database_pool_size)
    client = await connect(settings.effective_temporal_address, settings.temporal_namespace)
    regs = registrations(database, ModuleSettings())
    with ThreadPoolExecutor(max_workers=16) as executor:
        workers = build_workers(client, regs, selected_queues(settings.worker_task_queues, regs),
                                executor)
        log.info("workers polling: %s", ", ".join(w.task_queue for w in workers) or "none")
        try:
            async with _all(workers):
                await stop.wait()
        finally:
            for reg in regs.values():
                await reg.close()
            await database.dispose()


class _all:
    """Async context entering every worker; leaving it shuts them all down gracefully."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers

    async def __aenter__(self) -> None:
        for w in self.workers:
            await w.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(w.__aexit__(None, None, None) for w in self.workers))
