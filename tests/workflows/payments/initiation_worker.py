"""A payments worker as its own process, for the exactly-once test that SIGKILLs it in the
middle of a provider call: `python -m tests.workflows.payments.initiation_worker DATABASE_URL
TEMPORAL_ADDRESS TASK_QUEUE`. It runs the module's own registration (workers/payments.py),
exactly what production runs."""

from __future__ import annotations

import asyncio
import sys

from temporalio.worker import Worker

from storage.database import Database
from tests.temporal_stack import unique_modules
from workers.payments import register
from workers.worker import worker_options
from workflows.client import connect


async def _main(database_url: str, address: str, queue: str) -> None:
    database = Database(database_url, pool_size=2)
    registration = register(database, unique_modules(payments={"task_queue": queue}))
    client = await connect(address)
    async with Worker(client, task_queue=queue, workflows=registration.workflows,
                      activities=registration.activities, **worker_options()):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2], sys.argv[3]))
