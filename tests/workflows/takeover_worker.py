"""A worker process for the takeover and drain tests: one workflow calling one activity through
the module template's Stub (activities/stub.py) and @activity_defn (activities/defn.py), served
the way production serves a pool (workers/pool.py options, workers/worker.py `poll_until`,
workers/signals.py: SIGTERM drains).

Run as `python -m tests.workflows.takeover_worker ADDRESS QUEUE GRACE_SECONDS`. The activity's
first attempt writes this process's pid to the marker file, then holds for `hold_seconds`; a
later attempt (a retry after a kill) answers at once. Each answer names the process."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

from activities.defn import activity_defn
from activities.stub import Stub

ACTIVITY = "takeover.do_work"
WORKFLOW = "takeover-test"
FAILING_WORKFLOW = "takeover-failing"


class Work(BaseModel):
    marker: str
    hold_seconds: float = 3600.0


class Done(BaseModel):
    by: str
    attempt: int


# A live attempt may take a minute; a dead worker must not make the workflow wait that long.
do_work: Stub[Work, Done] = Stub(ACTIVITY, Done, timedelta(seconds=60))


@workflow.defn(name=WORKFLOW)
class TakeoverWorkflow:
    @workflow.run
    async def run(self, data: Work) -> Done:
        return await do_work(data)


@workflow.defn(name=FAILING_WORKFLOW)
class FailingWorkflow:
    """Fails at once: what a worker's workflow-failure metrics count."""

    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("refused on purpose", non_retryable=True)


def work_activity(by: str):  # type: ignore[no-untyped-def]
    @activity_defn(ACTIVITY)
    async def work(data: Work) -> Done:
        attempt = activity.info().attempt
        if attempt == 1:
            Path(data.marker).write_text(str(os.getpid()))  # noqa: ASYNC240 - a few bytes
            await asyncio.sleep(data.hold_seconds)
        return Done(by=by, attempt=attempt)

    return work


async def _main(address: str, queue: str, grace: float) -> None:
    from temporalio.worker import Worker

    from workers.pool import PoolPlan, QueueLimits
    from workers.signals import until_signal
    from workers.worker import poll_until, worker_options
    from workflows.client import connect

    pool = PoolPlan([queue], {queue: QueueLimits(concurrency=4, per_second=None)},
                    timedelta(seconds=grace))
    client = await connect(address)
    worker = Worker(client, task_queue=queue, workflows=[TakeoverWorkflow],
                    activities=[work_activity(f"pid {os.getpid()}")],
                    **worker_options(), **pool.worker_kwargs(queue))
    await until_signal(lambda stop: poll_until([worker], stop, pool.grace))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
    print("drained", flush=True)
    from workers.process_exit import exit_after_drain

    exit_after_drain(0)  # as `python -m workers worker` ends
