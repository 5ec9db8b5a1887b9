"""Routes of the orchestration spec, built once per version: v2 under /v2 with cursor
envelopes, v1 at the module root with plain `{data: [...]}` lists (Formance v1 pages nothing).
Operation ids as in the spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Depends, Query, Request, Response

from api.dependencies import dependencies
from api.modules import VERSION
from api.orchestration import temporal
from api.orchestration.schemas import (
    CreateWorkflow,
    EventBody,
    TriggerData,
    instance_history_json,
    instance_json,
    occurrence_json,
    stage_history_json,
    trigger_json,
    trigger_test_json,
    workflow_json,
)
from domain.errors import ValidationError
from domain.orchestration.errors import InstanceFinishedError
from domain.orchestration.service import OrchestrationService
from domain.pagination import Page, decode_token, encode_token
from storage.orchestration.links import linked_data_reader
from storage.orchestration.store import PgOrchestrationStore

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 1000
# v1 lists are not paged: the first this many, oldest first.
V1_LIST_LIMIT = 1000
_BAD_CURSOR = "invalid 'cursor' query param"


def _service(request: Request) -> OrchestrationService:
    return OrchestrationService(PgOrchestrationStore(dependencies(request).database))


Service = Annotated[OrchestrationService, Depends(_service)]
PageSize = Annotated[int | None, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)]


class _Paging:
    """Offset paging whose cursor carries the list's filters (a cursor is the only parameter
    a next-page request needs)."""

    def __init__(self, cursor: str | None, page_size: int | None, filters: dict[str, Any]
                 ) -> None:
        if cursor:
            state = decode_token(cursor, error=_BAD_CURSOR)
            try:
                self.offset, self.size = int(state["offset"]), int(state["pageSize"])
                self.filters = dict(state.get("filters") or {})
            except (KeyError, TypeError, ValueError):
                raise ValidationError(_BAD_CURSOR) from None
            if self.offset < 0 or not 1 <= self.size <= MAX_PAGE_SIZE:
                raise ValidationError(_BAD_CURSOR)
        else:
            self.offset, self.size, self.filters = 0, page_size or DEFAULT_PAGE_SIZE, filters

    def envelope(self, page: Page[Any], render: Callable[[Any], Any]) -> dict[str, Any]:
        def token(offset: int) -> str:
            return encode_token({"offset": offset, "pageSize": self.size,
                                 "filters": self.filters})

        return Page(data=page.data, page_size=self.size, has_more=page.has_more,
                    next=token(self.offset + self.size) if page.has_more else None,
                    previous=token(max(0, self.offset - self.size)) if self.offset else None,
                    ).envelope(render)


def build(version: int) -> APIRouter:
    v2 = version == 2
    router = APIRouter(prefix="/v2" if v2 else "", tags=[f"orchestration.v{version}"])

    def op(name: str) -> str:
        return "v2" + name[0].upper() + name[1:] if v2 else name

    def listing(paging: _Paging, page: Page[Any], render: Callable[[Any], Any]
                ) -> dict[str, Any]:
        if v2:
            return {"cursor": paging.envelope(page, render)}
        return {"data": [render(x) for x in page.data]}

    def paging(cursor: str | None, page_size: int | None, **filters: Any) -> _Paging:
        if not v2:
            return _Paging(None, V1_LIST_LIMIT, filters)
        return _Paging(cursor, page_size, filters)

    @router.get("/_info", operation_id=op("getServerInfo"))
    async def get_info() -> dict[str, str]:
        return {"version": VERSION}

    # --- workflows ----------------------------------------------------------------------------

    @router.get("/workflows", operation_id=op("listWorkflows"))
    async def list_workflows(service: Service, cursor: str | None = None,
                             page_size: PageSize = None) -> dict[str, Any]:
        p = paging(cursor, page_size)
        return listing(p, await service.list_workflows(p.offset, p.size), workflow_json)

    @router.post("/workflows", operation_id=op("createWorkflow"), status_code=201)
    async def create_workflow(service: Service, body: CreateWorkflow) -> dict[str, Any]:
        return {"data": workflow_json(await service.create_workflow(body.name, body.stages))}

    @router.get("/workflows/{flowId}", operation_id=op("getWorkflow"))
    async def get_workflow(service: Service, flowId: str) -> dict[str, Any]:
        return {"data": workflow_json(await service.get_workflow(flowId))}

    @router.delete("/workflows/{flowId}", operation_id=op("deleteWorkflow"), status_code=204)
    async def delete_workflow(service: Service, flowId: str) -> Response:
        await service.delete_workflow(flowId)
        return Response(status_code=204)

    @router.post("/workflows/{workflowID}/instances", operation_id=op("runWorkflow"),
                 status_code=201)
    async def run_workflow(request: Request, service: Service, workflowID: str,
                           body: Annotated[dict[str, str] | None, Body()] = None,
                           wait: bool = False) -> dict[str, Any]:
        workflow = await service.get_workflow(workflowID)
        instance = await temporal.run_instance(dependencies(request), service, workflow,
                                               body or {}, wait=wait)
        return {"data": instance_json(instance)}

    # --- instances ----------------------------------------------------------------------------

    @router.get("/instances", operation_id=op("listInstances"))
    async def list_instances(service: Service, cursor: str | None = None,
                             page_size: PageSize = None,
                             workflow_id: Annotated[str | None, Query(alias="workflowID")] = None,
                             running: bool | None = None) -> dict[str, Any]:
        p = paging(cursor, page_size, workflowID=workflow_id, running=running)
        page = await service.list_instances(p.filters.get("workflowID"),
                                            p.filters.get("running"), p.offset, p.size)
        return listing(p, page, instance_json)

    @router.get("/instances/{instanceID}", operation_id=op("getInstance"))
    async def get_instance(service: Service, instanceID: str) -> dict[str, Any]:
        return {"data": instance_json(await service.get_instance(instanceID))}

    @router.post("/instances/{instanceID}/events", operation_id=op("sendEvent"),
                 status_code=204)
    async def send_event(request: Request, service: Service, instanceID: str,
                         body: EventBody) -> Response:
        instance = await service.get_instance(instanceID)
        if instance.terminated:
            raise InstanceFinishedError(instanceID)
        await temporal.send_event(dependencies(request), instanceID, body.name)
        return Response(status_code=204)

    @router.put("/instances/{instanceID}/abort", operation_id=op("cancelEvent"),
                status_code=204)
    async def abort(request: Request, service: Service, instanceID: str
                    ) -> Response:
        instance = await service.get_instance(instanceID)
        if instance.terminated:
            raise InstanceFinishedError(instanceID)
        await temporal.abort(dependencies(request), instanceID)
        return Response(status_code=204)

    @router.get("/instances/{instanceID}/history", operation_id=op("getInstanceHistory"))
    async def instance_history(service: Service, instanceID: str
                               ) -> dict[str, Any]:
        return {"data": instance_history_json(await service.get_instance(instanceID))}

    @router.get("/instances/{instanceID}/stages/{number}/history",
                operation_id=op("getInstanceStageHistory"))
    async def stage_history(service: Service, instanceID: str,
                            number: int) -> dict[str, Any]:
        records = await service.stage_history(instanceID, number)
        return {"data": stage_history_json(records, version)}

    # --- triggers -----------------------------------------------------------------------------

    @router.get("/triggers", operation_id=op("listTriggers"))
    async def list_triggers(service: Service, cursor: str | None = None,
                            page_size: PageSize = None, name: str | None = None
                            ) -> dict[str, Any]:
        p = paging(cursor, page_size, name=name)
        page = await service.list_triggers(p.filters.get("name"), p.offset, p.size)
        return listing(p, page, trigger_json)

    @router.post("/triggers", operation_id=op("createTrigger"), status_code=201)
    async def create_trigger(service: Service, body: TriggerData) -> dict[str, Any]:
        trigger = await service.create_trigger(
            name=body.name, event=body.event, version=body.version,
            workflow_id=body.workflow_id, filter=body.filter, vars=body.vars)
        return {"data": trigger_json(trigger)}

    @router.get("/triggers/{triggerID}", operation_id=op("readTrigger"))
    async def read_trigger(service: Service, triggerID: str) -> dict[str, Any]:
        return {"data": trigger_json(await service.get_trigger(triggerID))}

    @router.delete("/triggers/{triggerID}", operation_id=op("deleteTrigger"),
                   status_code=204)
    async def delete_trigger(service: Service, triggerID: str) -> Response:
        await service.delete_trigger(triggerID)
        return Response(status_code=204)

    @router.get("/triggers/{triggerID}/occurrences", operation_id=op("listTriggersOccurrences"))
    async def list_occurrences(service: Service, triggerID: str,
                               cursor: str | None = None, page_size: PageSize = None
                               ) -> dict[str, Any]:
        p = paging(cursor, page_size, triggerID=triggerID)
        page = await service.list_occurrences(triggerID, p.offset, p.size)
        return listing(p, page, occurrence_json)

    if v2:
        @router.post("/triggers/{triggerID}/test", operation_id="testTrigger")
        async def test_trigger(request: Request, service: Service, triggerID: str,
                               body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
            config = dependencies(request).modules.orchestration
            async with httpx.AsyncClient(timeout=config.link_timeout.total_seconds()) as http:
                result = await service.test_trigger(
                    triggerID, body, linked_data_reader(http, config.link_prefixes))
            return {"data": trigger_test_json(result)}

    return router
