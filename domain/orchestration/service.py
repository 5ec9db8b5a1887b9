"""Orchestration use-cases that need no Temporal: workflow definitions and triggers (CRUD,
validated on the way in), instances and histories as recorded, and the trigger test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from domain.errors import ValidationError
from domain.orchestration.errors import (
    InstanceNotFoundError,
    TriggerNotFoundError,
    WorkflowNotFoundError,
)
from domain.orchestration.ids import new_id
from domain.orchestration.models import (
    ActivityRecord,
    Instance,
    Occurrence,
    Trigger,
    TriggerTest,
    Workflow,
)
from domain.orchestration.ports import OrchestrationStore
from domain.orchestration.stages import validate_stages
from domain.orchestration.triggers import (
    Fetch,
    check_expressions,
    evaluate_trigger,
    evaluate_with_links,
)
from domain.pagination import Page, offset_page

MAX_STAGES = 100
MAX_VARIABLES = 100


def utcnow() -> datetime:
    return datetime.now(UTC)


class OrchestrationService:
    def __init__(self, store: OrchestrationStore, clock: Callable[[], datetime] = utcnow
                 ) -> None:
        self.store = store
        self.clock = clock

    # --- workflows ----------------------------------------------------------------------------

    async def create_workflow(self, name: str | None, stages: Any) -> Workflow:
        stages = validate_stages(stages)
        if len(stages) > MAX_STAGES:
            raise ValidationError(f"stages: at most {MAX_STAGES} stages")
        now = self.clock()
        workflow = Workflow(id=new_id(), name=name, stages=stages, created_at=now,
                            updated_at=now)
        await self.store.create_workflow(workflow)
        return workflow

    async def get_workflow(self, workflow_id: str) -> Workflow:
        workflow = await self.store.get_workflow(workflow_id)
        if workflow is None:
            raise WorkflowNotFoundError(workflow_id)
        return workflow

    async def list_workflows(self, offset: int, size: int) -> Page[Workflow]:
        return offset_page(await self.store.list_workflows(offset, size + 1), offset=offset,
                           size=size)

    async def delete_workflow(self, workflow_id: str) -> None:
        if not await self.store.delete_workflow(workflow_id):
            raise WorkflowNotFoundError(workflow_id)

    # --- instances ----------------------------------------------------------------------------

    async def new_instance(self, workflow_id: str, variables: dict[str, str]) -> Instance:
        """The instance row, written before its Temporal workflow starts so that it can be read
        (and listed) from the first moment."""
        await self.get_workflow(workflow_id)
        check_variables(variables)
        now = self.clock()
        instance = Instance(id=new_id(), workflow_id=workflow_id, created_at=now,
                            updated_at=now)
        await self.store.create_instance(instance)
        return instance

    async def get_instance(self, instance_id: str) -> Instance:
        instance = await self.store.get_instance(instance_id)
        if instance is None:
            raise InstanceNotFoundError(instance_id)
        return instance

    async def list_instances(self, workflow_id: str | None, running: bool | None, offset: int,
                             size: int) -> Page[Instance]:
        rows = await self.store.list_instances(workflow_id, running, offset, size + 1)
        return offset_page(rows, offset=offset, size=size)

    async def stage_history(self, instance_id: str, stage: int) -> list[ActivityRecord]:
        await self.get_instance(instance_id)
        return await self.store.stage_history(instance_id, stage)

    # --- triggers -----------------------------------------------------------------------------

    async def create_trigger(self, *, name: str | None, event: str, version: str | None,
                             workflow_id: str, filter: str | None,
                             vars: dict[str, Any] | None) -> Trigger:
        if not event.strip():
            raise ValidationError("event: must not be empty")
        variables = vars or {}
        if len(variables) > MAX_VARIABLES:
            raise ValidationError(f"vars: at most {MAX_VARIABLES} variables")
        check_expressions(filter, variables)
        try:
            await self.get_workflow(workflow_id)
        except WorkflowNotFoundError as exc:
            raise ValidationError(f"workflowID: {exc.message}") from None
        trigger = Trigger(id=new_id(), name=name, event=event, version=version or None,
                          workflow_id=workflow_id, filter=filter or None, vars=variables,
                          created_at=self.clock())
        await self.store.create_trigger(trigger)
        return trigger

    async def get_trigger(self, trigger_id: str) -> Trigger:
        trigger = await self.store.get_trigger(trigger_id)
        if trigger is None:
            raise TriggerNotFoundError(trigger_id)
        return trigger

    async def list_triggers(self, name: str | None, offset: int, size: int) -> Page[Trigger]:
        return offset_page(await self.store.list_triggers(name, offset, size + 1),
                           offset=offset, size=size)

    async def delete_trigger(self, trigger_id: str) -> None:
        if not await self.store.delete_trigger(trigger_id):
            raise TriggerNotFoundError(trigger_id)

    async def list_occurrences(self, trigger_id: str, offset: int, size: int
                               ) -> Page[Occurrence]:
        await self.get_trigger(trigger_id)
        return offset_page(await self.store.list_occurrences(trigger_id, offset, size + 1),
                           offset=offset, size=size)

    async def test_trigger(self, trigger_id: str, payload: Any, fetch: Fetch | None = None
                           ) -> TriggerTest:
        trigger = await self.get_trigger(trigger_id)
        return await evaluate_with_links(partial(evaluate_trigger, trigger, payload), fetch)


def check_variables(variables: dict[str, str]) -> None:
    if len(variables) > MAX_VARIABLES:
        raise ValidationError(f"at most {MAX_VARIABLES} variables")
    for key, value in variables.items():
        if not isinstance(value, str):
            raise ValidationError(f"variable {key!r}: must be a string")
