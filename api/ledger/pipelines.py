"""Pipelines (`/v2/{ledger}/pipelines...`): the rows say what a pipeline is and how far it got
(the export activity writes `lastLogID`); the Temporal workflow
`ledger-pipeline-<ledger>-<id>` does the work. start/stop/reset are workflow updates sent
with update-with-start, so a pipeline whose workflow is gone (terminated from the UI) is
resumed from its row on the next action."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, Request, Response
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError

from api.ledger.exporters import exporter_store, exporters_service, offset_page
from api.ledger.inputs import expect_object, json_body
from api.ledger.render import json_response
from api.ledger.v2 import service
from api.temporal import TemporalUnavailableError, temporal_client
from domain.errors import ValidationError
from domain.ledger.exporters import Pipeline
from workflows import search_attributes, task_queues
from workflows.ledger.inputs import (
    PIPELINE_WORKFLOW,
    RESET_UPDATE,
    START_UPDATE,
    STOP_UPDATE,
    PipelineInput,
    PipelineOptions,
    PipelineState,
    PipelineStatus,
    pipeline_workflow_id,
)

router = APIRouter(tags=["ledger.v2"])




def _input(request: Request, pipeline: Pipeline) -> PipelineInput:
    options = getattr(request.app.state, "ledger_pipeline_options", None) or PipelineOptions()
    return PipelineInput(pipeline_id=pipeline.id, ledger=pipeline.ledger,
                         exporter_id=pipeline.exporter_id, enabled=pipeline.enabled,
                         last_log_id=pipeline.last_log_id, options=options)


def _start_options(request: Request, pipeline: Pipeline) -> dict[str, Any]:
    status = PipelineStatus.RUNNING if pipeline.enabled else PipelineStatus.STOPPED
    return {
        "id": pipeline_workflow_id(pipeline.ledger, pipeline.id),
        "task_queue": str(getattr(request.app.state, "ledger_task_queue", task_queues.LEDGER)),
        # A running pipeline is reused (retried create, or an action); a closed one is
        # started again from its row.
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        "search_attributes": TypedSearchAttributes([
            SearchAttributePair(search_attributes.LEDGER, pipeline.ledger),
            SearchAttributePair(search_attributes.STATUS, status.value),
        ]),
        "static_summary": f"Pipeline of ledger {pipeline.ledger} to exporter "
                          f"{pipeline.exporter_id}",
        "static_details": f"pipeline {pipeline.id}; start, stop and reset are updates; "
                          "the `state` query shows the cursor",
    }


async def _act(request: Request, pipeline: Pipeline, update: str) -> PipelineState:
    client = await temporal_client(request)
    operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        PIPELINE_WORKFLOW, _input(request, pipeline), **_start_options(request, pipeline))
    try:
        state: PipelineState = await client.execute_update_with_start_workflow(
            update, start_workflow_operation=operation, result_type=PipelineState)
        return state
    except RPCError as exc:
        raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc


@router.get("/v2/{ledger}/pipelines", operation_id="v2ListPipelines")
async def list_pipelines(ledger: str, request: Request) -> Response:
    await service(request).require_ledger(ledger)
    store = exporter_store(request)
    return await offset_page(
        request, lambda offset, limit: store.list_pipelines(ledger, offset, limit),
        lambda p: p.to_json())


@router.post("/v2/{ledger}/pipelines", operation_id="v2CreatePipeline", status_code=201)
async def create_pipeline(ledger: str, request: Request) -> Response:
    await service(request).require_ledger(ledger)
    body = expect_object(await json_body(request, required=True), "body")
    exporter_id = body.get("exporterID")
    if not isinstance(exporter_id, str) or not exporter_id:
        raise ValidationError("exporterID is required and must be a string")
    svc = exporters_service(request)
    pipeline = await svc.create_pipeline(str(uuid4()), ledger, exporter_id, datetime.now(UTC))
    client = await temporal_client(request)
    try:
        await client.start_workflow(PIPELINE_WORKFLOW, _input(request, pipeline),
                                    **_start_options(request, pipeline))
    except RPCError as exc:
        # Without its workflow the pipeline would silently do nothing: undo the row.
        await svc.store.delete_pipeline(ledger, pipeline.id)
        raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc
    return json_response({"data": pipeline.to_json()}, status=201)


@router.get("/v2/{ledger}/pipelines/{pipelineID}", operation_id="v2GetPipelineState")
async def get_pipeline(ledger: str, pipelineID: str, request: Request
                       ) -> Response:
    await service(request).require_ledger(ledger)
    pipeline = await exporters_service(request).get_pipeline(ledger, pipelineID)
    return json_response({"data": pipeline.to_json()})


@router.delete("/v2/{ledger}/pipelines/{pipelineID}", operation_id="v2DeletePipeline",
               status_code=204)
async def delete_pipeline(ledger: str, pipelineID: str, request: Request
                          ) -> Response:
    await service(request).require_ledger(ledger)
    svc = exporters_service(request)
    pipeline = await svc.get_pipeline(ledger, pipelineID)
    client = await temporal_client(request)
    handle = client.get_workflow_handle(pipeline_workflow_id(ledger, pipeline.id))
    with contextlib.suppress(RPCError):  # already closed: nothing to stop
        await handle.terminate(reason="pipeline deleted")
    await svc.store.delete_pipeline(ledger, pipeline.id)
    return Response(status_code=204)


async def _action(request: Request, ledger: str, pipeline_id: str, update: str) -> Response:
    await service(request).require_ledger(ledger)
    svc = exporters_service(request)
    pipeline = await svc.get_pipeline(ledger, pipeline_id)
    state = await _act(request, pipeline, update)
    if update == RESET_UPDATE:
        await svc.store.set_pipeline(pipeline.id, last_log_id=0)
    else:
        await svc.store.set_pipeline(pipeline.id,
                                     enabled=state.status is PipelineStatus.RUNNING)
    return Response(status_code=202)


@router.post("/v2/{ledger}/pipelines/{pipelineID}/reset", operation_id="v2ResetPipeline",
             status_code=202)
async def reset_pipeline(ledger: str, pipelineID: str, request: Request
                         ) -> Response:
    return await _action(request, ledger, pipelineID, RESET_UPDATE)


@router.post("/v2/{ledger}/pipelines/{pipelineID}/start", operation_id="v2StartPipeline",
             status_code=202)
async def start_pipeline(ledger: str, pipelineID: str, request: Request
                         ) -> Response:
    return await _action(request, ledger, pipelineID, START_UPDATE)


@router.post("/v2/{ledger}/pipelines/{pipelineID}/stop", operation_id="v2StopPipeline",
             status_code=202)
async def stop_pipeline(ledger: str, pipelineID: str, request: Request
                        ) -> Response:
    return await _action(request, ledger, pipelineID, STOP_UPDATE)
