"""`python -m workers doctor`: is this deployment able to run? One line per check, OK or FAIL
with what to do, exit code 1 when anything failed. Checks what the API's health cannot fix by
itself: PostgreSQL reachable and migrated to head; the custom search attributes of
workflows/search_attributes.py registered with their types (the Temporal UI's filters and every
start that sets them depend on it); a worker polling each task queue for workflow and activity
tasks (DescribeTaskQueue)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from config.settings import Settings
from storage import migrate
from storage.database import Database
from workflows import search_attributes
from workflows.client import connect

TIMEOUT_S = 5.0
# A live worker long-polls at least once a minute; a poller not seen for longer has gone.
POLLER_SEEN_WITHIN_S = 90

T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"OK    {self.what}" if self.ok else f"FAIL  {self.what}: {self.fix}"


async def _bounded(step: Awaitable[T]) -> T:
    return await asyncio.wait_for(step, TIMEOUT_S)


async def check_postgres(database: Database) -> list[Check]:
    where = f"PostgreSQL at {database.display_url}"
    try:
        await _bounded(database.check())
        current = await _bounded(migrate.current_revision(database.engine))
    except Exception as exc:
        return [Check(False, "PostgreSQL reachable",
                      f"{exc or exc.__class__.__name__}; check DATABASE_URL and that the "
                      "server accepts connections")]
    head = migrate.head_revision()
    if current != head:
        return [Check(True, f"{where} reachable"),
                Check(False, f"schema at migration head {head}",
                      f"the database is at {current or 'no migration'}; run "
                      "`python -m workers migrate` (the compose file's migrate job)")]
    return [Check(True, f"{where} reachable"), Check(True, f"schema at migration head {head}")]


async def check_search_attributes(client: Client) -> list[Check]:
    response = await _bounded(client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)))
    registered = dict(response.custom_attributes)
    checks = []
    for key in search_attributes.ALL:
        kind = search_attributes.type_name(key)
        what = f"search attribute {key.name} ({kind})"
        found = registered.get(key.name)
        create = (f"temporal operator search-attribute create --namespace {client.namespace} "
                  f"--name {key.name} --type {kind}")
        if found is None:
            checks.append(Check(False, what, f"not registered; run `{create}`"))
        elif int(found) != int(key.indexed_value_type):
            checks.append(Check(False, what, (
                f"registered as {IndexedValueType.Name(found).removeprefix('INDEXED_VALUE_TYPE_')}"
                f"; remove it (temporal operator search-attribute remove --name {key.name}) "
                f"and run `{create}`")))
        else:
            checks.append(Check(True, what))
    return checks


async def _pollers(client: Client, queue: str, kind: TaskQueueType.ValueType) -> int:
    response = await _bounded(client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=queue),
                                 task_queue_type=kind)))
    recent = time.time() - POLLER_SEEN_WITHIN_S
    return sum(1 for p in response.pollers
               if not p.HasField("last_access_time")
               or p.last_access_time.ToSeconds() >= recent)


async def check_queue(client: Client, queue: str) -> Check:
    workflow_pollers = await _pollers(client, queue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
    activity_pollers = await _pollers(client, queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
    what = (f"task queue {queue} polled ({workflow_pollers} workflow, {activity_pollers} "
            "activity pollers)")
    if workflow_pollers and activity_pollers:
        return Check(True, what)
    return Check(False, what, f"start a worker for it: `python -m workers worker --queues "
                 f"{queue}` (WORKER_TASK_QUEUES in its environment)")


async def diagnose(settings: Settings, database: Database, queues: list[str]) -> list[Check]:
    checks = await check_postgres(database)
    address = settings.effective_temporal_address
    try:
        client = await _bounded(connect(address, settings.temporal_namespace))
        await _bounded(client.service_client.check_health(timeout=timedelta(seconds=2)))
    except Exception as exc:
        return [*checks, Check(False, f"Temporal at {address} reachable",
                               f"{exc or exc.__class__.__name__}; check TEMPORAL_ADDRESS and "
                               "TEMPORAL_NAMESPACE")]
    checks.append(Check(True, f"Temporal at {address} reachable "
                              f"(namespace {settings.temporal_namespace})"))
    checks += await check_search_attributes(client)
    for queue in queues:
        try:
            checks.append(await check_queue(client, queue))
        except Exception as exc:
            checks.append(Check(False, f"task queue {queue} described", str(exc)))
    return checks


async def run(settings: Settings, queues: list[str]) -> int:
    database = Database(settings.effective_database_url, pool_size=1)
    try:
        checks = await diagnose(settings, database, queues)
    finally:
        await database.dispose()
    for check in checks:
        print(check.line(), flush=True)
    failed = sum(not c.ok for c in checks)
    print(f"{len(checks) - failed} OK, {failed} FAIL")
    return 1 if failed else 0
