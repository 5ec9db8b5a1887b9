"""How every activity implementation is declared: `@activity_defn(NAME)` on an async method.

On top of `temporalio.activity.defn` it does the two things every module needs and none should
write again:
- it heartbeats in the background while the activity runs, so the stub's short heartbeat timeout
  (activities/stub.py) tells Temporal within seconds that a worker died mid-activity, and another
  worker takes the retry; a live activity may take as long as its start-to-close timeout allows;
- it turns a DomainError into the Temporal error of activities/errors.py (one retry rule)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from temporalio import activity

from activities.errors import to_application_error
from domain.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")

# Beats per heartbeat timeout: several, so one slow event-loop turn does not time an attempt out.
_BEATS_PER_TIMEOUT = 4


def activity_defn(name: str) -> Callable[[Callable[P, Awaitable[R]]],
                                          Callable[P, Awaitable[R]]]:
    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            beating = _start_heartbeats()
            try:
                return await fn(*args, **kwargs)
            except DomainError as exc:
                raise to_application_error(exc) from exc
            finally:
                if beating is not None:
                    beating.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await beating

        return activity.defn(name=name)(run)

    return decorate


def _start_heartbeats() -> asyncio.Task[None] | None:
    timeout = activity.info().heartbeat_timeout
    if not timeout:
        return None
    return asyncio.create_task(_heartbeats(timeout.total_seconds() / _BEATS_PER_TIMEOUT))


async def _heartbeats(every: float) -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(every)

