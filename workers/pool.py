"""What one worker process polls and how hard: its task queues (a group of them per pool, so
each group is started and scaled on its own), the activities it runs at once on each queue, the
rate of activities a queue's provider accepts, and how long it drains on SIGTERM.

Settings (config/settings.py) give the defaults; `python -m workers worker --queues ...
--concurrency N` overrides them for one process."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from config.settings import Settings
from workflows import task_queues


@dataclass(frozen=True)
class QueueLimits:
    concurrency: int  # activities at once in this process
    per_second: float | None  # activities per second on the whole queue (server-enforced)


@dataclass(frozen=True)
class PoolPlan:
    queues: list[str]
    limits: dict[str, QueueLimits]
    grace: timedelta

    def worker_kwargs(self, queue: str) -> dict[str, Any]:
        """The Worker options that carry this plan for one of its queues."""
        limits = self.limits[queue]
        return {"max_concurrent_activities": limits.concurrency,
                "max_task_queue_activities_per_second": limits.per_second,
                "graceful_shutdown_timeout": self.grace}


def _resolve(name: str, known: list[str]) -> str:
    """A queue by its full name, or by its group (`payments` is `ledgerflow-payments`)."""
    if name in known:
        return name
    if f"ledgerflow-{name}" in known:
        return f"ledgerflow-{name}"
    raise ValueError(f"unknown task queue {name!r}; known: {', '.join(known)} or 'all'")


def selected_queues(setting: str, configured: Iterable[str] = ()) -> list[str]:
    """`all`, or a comma-separated list of known task queues (the reserved names and those the
    module settings configure), each named in full or by its group."""
    known = list(dict.fromkeys([*task_queues.ALL, *configured]))
    if setting.strip() == "all":
        return known
    wanted = [_resolve(q.strip(), known) for q in setting.split(",") if q.strip()]
    if not wanted:
        raise ValueError("no task queue selected; name some, or 'all'")
    return list(dict.fromkeys(wanted))


def named_queues(setting: str, configured: Iterable[str] = ()) -> list[str]:
    """Queues as an operator names them for a check: group names resolved when they are ours,
    any other name kept as given (a queue of another deployment's settings)."""
    known = list(dict.fromkeys([*task_queues.ALL, *configured]))
    names = [q.strip() for q in setting.split(",") if q.strip()]
    return [q if q in known or f"ledgerflow-{q}" not in known else f"ledgerflow-{q}"
            for q in names]


def _per_queue(setting: str, known: list[str], what: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in filter(None, (i.strip() for i in setting.split(","))):
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not sep or number <= 0:
            raise ValueError(f"{what}: {item!r} is not `queue=<positive number>`")
        values[_resolve(name.strip(), known)] = number
    return values


def plan(settings: Settings, configured: Iterable[str] = (), *, queues: str | None = None,
         concurrency: int | None = None) -> PoolPlan:
    known = list(dict.fromkeys([*task_queues.ALL, *configured]))
    chosen = selected_queues(queues or settings.worker_task_queues, known)
    default = concurrency or settings.worker_concurrency
    # --concurrency on the command line is this process's figure for every queue it polls.
    per_queue = {} if concurrency else _per_queue(
        settings.worker_queue_concurrency, known, "WORKER_QUEUE_CONCURRENCY")
    rates = _per_queue(settings.worker_queue_rate_limits, known, "WORKER_QUEUE_RATE_LIMITS")
    limits = {q: QueueLimits(int(per_queue.get(q, default)), rates.get(q)) for q in chosen}
    return PoolPlan(chosen, limits, timedelta(seconds=settings.worker_drain_grace_seconds))
