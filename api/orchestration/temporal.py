"""The API's side of flow instances: start (and wait for) an instance, send it an event,
abort it, through the app's one Temporal client (errors mapped in api/temporal.py). The
instance row comes first, so the instance can be read at once; an instance whose workflow
cannot be started is forgotten."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from api.dependencies import Dependencies
from api.temporal import TemporalUnavailableError, _mapped  # _mapped: the one error mapping
from domain.availability import ServiceUnavailableError
from domain.orchestration.errors import InstanceFinishedError
from domain.orchestration.models import Instance, Workflow
from domain.orchestration.service import OrchestrationService
from workflows.orchestration.inputs import (
    EVENT_UPDATE,
    EventAck,
    InstanceInput,
    SendEvent,
    instance_start,
    instance_workflow_id,
)


async def run_instance(deps: Dependencies, service: OrchestrationService, workflow: Workflow,
                       variables: dict[str, str], *, wait: bool) -> Instance:
    instance = await service.new_instance(workflow.id, variables)
    data = InstanceInput(
        instance_id=instance.id, workflow_id=workflow.id, stages=workflow.stages,
        variables=variables, wallets_ledger=deps.modules.wallets.ledger,
        max_pending_events=deps.modules.orchestration.max_pending_events,
        payment_poll_seconds=deps.modules.orchestration.payment_poll_interval.total_seconds())
    try:
        await deps.temporal.start(instance_start(data, workflow.name),
                                  deps.modules.orchestration.task_queue,
                                  unavailable="the instance could not be started")
    except BaseException:
        await service.store.forget_instance(instance.id)
        raise
    try:
        if wait:
            await wait_for_end(deps, instance.id)
        return await service.get_instance(instance.id)
    except ServiceUnavailableError:
        # The instance exists and its workflow runs: a 503 "retry" here made the client start
        # a second instance, paying twice (found by `make chaos outbox`, PostgreSQL killed
        # between the start and this read). Answered as created; its status is read later.
        return instance


async def wait_for_end(deps: Dependencies, instance_id: str) -> None:
    """Until the instance's workflow has ended (successfully or not) or the wait bound passed:
    the caller then reads the instance as its activities recorded it."""
    client = await deps.temporal.client()
    handle = client.get_workflow_handle(instance_workflow_id(instance_id))
    timeout = deps.modules.orchestration.run_wait_timeout.total_seconds()
    try:
        with contextlib.suppress(WorkflowFailureError, TimeoutError):
            await asyncio.wait_for(handle.result(), timeout)
    except RPCError as exc:
        raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc


async def send_event(deps: Dependencies, instance_id: str, name: str) -> EventAck:
    client = await deps.temporal.client()
    handle = client.get_workflow_handle(instance_workflow_id(instance_id))
    with _mapped(gone=InstanceFinishedError(instance_id)):
        ack: EventAck = await handle.execute_update(
            EVENT_UPDATE, SendEvent(name=name), result_type=EventAck,
            rpc_timeout=timedelta(seconds=10))
        return ack


async def abort(deps: Dependencies, instance_id: str) -> None:
    await deps.temporal.cancel([instance_workflow_id(instance_id)])
