"""Temporal workers: one Worker per task queue this process polls, all in one process in dev.

The sandbox stays on. `domain` and `pydantic` pass through: they are deterministic, and
re-importing pydantic per workflow run would cost seconds."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from config.modules import ModuleSettings
from config.settings import Settings
from storage.database import Database
from workers.metrics import worker_runtime
from workers.pool import PoolPlan, plan, selected_queues
from workers.registration import Registration
from workers.registry import registrations
from workflows.client import connect
from workflows.telemetry import configure_tracing

log = logging.getLogger("ledgerflow.workers")

__all__ = ["build_workers", "poll_until", "run_workers", "sandbox_runner", "selected_queues",
           "worker_options"]


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


def build_workers(client: Client, regs: dict[str, Registration], pool: PoolPlan,
                  executor: ThreadPoolExecutor) -> list[Worker]:
    workers = []
    for queue in pool.queues:
        reg = regs.get(queue)
        if not reg:
            log.info("task queue %s has nothing to run yet; not polling it", queue)
            continue
        workers.append(Worker(
            client, task_queue=queue, workflows=reg.workflows, activities=reg.activities,
            activity_executor=executor, **worker_options(), **pool.worker_kwargs(queue),
        ))
    return workers


async def run_workers(settings: Settings, stop: asyncio.Event, *, queues: str | None = None,
                      concurrency: int | None = None) -> None:
    """Poll until `stop` is set, then drain: polling stops at once, the activities in flight
    have the pool's grace period to finish (the rest are cancelled, and retried elsewhere)."""
    database = Database(settings.effective_database_url, pool_size=settings.database_pool_size)
    regs = registrations(database, ModuleSettings())
    try:
        # A wrong queue name or limit is said before anything is served or connected.
        pool = plan(settings, regs, queues=queues, concurrency=concurrency)
        runtime = worker_runtime(settings.worker_metrics_port)
        configure_tracing("ledgerflow-worker", settings.otel_exporter_otlp_endpoint)
        client = await connect(settings.effective_temporal_address, settings.temporal_namespace,
                               runtime=runtime)
        with ThreadPoolExecutor(max_workers=16) as executor:
            workers = build_workers(client, regs, pool, executor)
            log.info("workers polling: %s", ", ".join(
                f"{w.task_queue} (at most {pool.limits[w.task_queue].concurrency} activities)"
                for w in workers) or "none")
            await poll_until(workers, stop, pool.grace)
    finally:
        for reg in regs.values():
            await reg.close()
        await database.dispose()
    log.info("workers stopped")


async def poll_until(workers: list[Worker], stop: asyncio.Event, grace: timedelta) -> None:
    """Run the workers until `stop`; then drain them (their graceful_shutdown_timeout, from
    the pool plan, is `grace`) and return."""
    async with _all(workers):
        await stop.wait()
        log.info("stopping: no new tasks; activities in flight have %.0f s to finish",
                 grace.total_seconds())


class _all:
    """Async context entering every worker; leaving it shuts them all down gracefully."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers

    async def __aenter__(self) -> None:
        for w in self.workers:
            await w.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(w.__aexit__(None, None, None) for w in self.workers))
