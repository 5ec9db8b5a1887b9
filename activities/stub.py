"""How a workflow calls an activity: one `Stub` per activity in activities/<m>/stubs.py, with its
name, result type, timeouts and retry policy set there once.

Timeouts follow one rule (issue 13): `heartbeat` is short, so a worker killed mid-activity is
noticed within seconds and the retry runs on another worker; `start_to_close` only bounds a
live attempt (the HTTP timeout of a delivery, a ledger write under contention). Every
implementation heartbeats on its own (activities/defn.py), so no stub can forget it.
Business errors are final whatever the policy says (activities/errors.py marks them
non-retryable); the policy only shapes the retries of infrastructure failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Generic, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

I = TypeVar("I")  # noqa: E741 - the input type
O = TypeVar("O")  # noqa: E741 - the output type

# A killed worker's attempt times out after this, then the retry goes to a live worker.
HEARTBEAT = timedelta(seconds=5)

# Infrastructure failures (database, network, a dead worker) are retried quickly at first, then
# backed off; activities are idempotent by business key, so a retry never acts twice.
INFRASTRUCTURE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


class Stub(Generic[I, O]):
    def __init__(self, name: str, result_type: type[O] | None, start_to_close: timedelta,
                 retry: RetryPolicy = INFRASTRUCTURE_RETRY, *, heartbeat: timedelta = HEARTBEAT,
                 summary: Callable[[I], str] | None = None) -> None:
        self.name = name  # "<module>.<verb_noun>": never renamed under running workflows
        self.result_type = result_type
        self.start_to_close = start_to_close
        self.retry = retry
        self.heartbeat = heartbeat
        self.summary = summary  # shown in the Temporal UI

    async def __call__(self, data: I) -> O:
        result: O = await workflow.execute_activity(
            self.name, data, result_type=self.result_type,
            start_to_close_timeout=self.start_to_close, heartbeat_timeout=self.heartbeat,
            retry_policy=self.retry, summary=self.summary(data) if self.summary else None,
        )
        return result
