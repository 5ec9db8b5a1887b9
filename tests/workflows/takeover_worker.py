"""A worker process for the takeover test: one workflow calling one activity through the
module template's Stub (activities/stub.py) and @activity_defn (activities/defn.py). Run as a
process (`python -m tests.workflows.takeover_worker ADDRESS QUEUE MARKER`), its activity
announces itself in MARKER and then never returns, so the test can SIGKILL it mid-activity."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel
from temporalio import workflow

from activities.defn import activity_defn
from activities.stub import Stub

ACTIVITY = "takeover.do_work"
WORKFLOW = "takeover-test"


class Work(BaseModel):
    marker: str


class Done(BaseModel):
    by: str


# A live attempt may take a minute; a dead worker must not make the workflow wait that long.
do_work: Stub[Work, Done] = Stub(ACTIVITY, Done, timedelta(seconds=60))


@workflow.defn(name=WORKFLOW)
class TakeoverWorkflow:
    @workflow.run
    async def run(self, data: Work) -> Done:
        return await do_work(data)


@activity_defn(ACTIVITY)
async def stuck(data: Work) -> Done:
    Path(data.marker).write_text("started")  # noqa: ASYNC240 - a few bytes, test only
    await asyncio.sleep(3600)
    return Done(by="stuck")


@activity_defn(ACTIVITY)
async def finish(data: Work) -> Done:
    return Done(by="second worker")


async def _main(address: str, queue: str) -> None:
    from temporalio.worker import Worker

    from workers.worker import worker_options
    from workflows.client import connect

    client = await connect(address)
    async with Worker(client, task_queue=queue, workflows=[TakeoverWorkflow],
                      activities=[stuck], **worker_options()):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2]))
