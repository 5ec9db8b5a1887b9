"""Pipelines (`/v2/{ledger}/pipelines...`): the rows say what a pipeline is and how far it got
(the export activity writes `lastLogID`); the Temporal workflow
`ledger-pipeline-<ledger>-<id>` does the work. start/stop/reset are workflow updates sent
with update-with-start, so a pipeline whose workflow is gone (terminated from the UI) is
resumed from its row on the next action."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from fastapi import APIRouter, Request, Response

from api.dependencies import Dependencies, dependencies
from api.ledger.exporters import offset_page
from api.ledger.inputs import expect_object, json_body
from api.ledger.render import json_response
from api.temporal import TemporalUnavailableError
from domain.errors import ValidationError
from domain.ledger.exporters import Pipeline
from workflows.ledger.inputs import (
    RESET_UPDATE,
    START_UPDATE,
    STOP_UPDATE,
    PipelineOptions,
    PipelineState,
    PipelineStatus,
    pipeline_start,
    pipeline_workflow_id,
)

router = APIRouter(tags=["ledger.v2"])


def _options(deps: Dependencies) -> PipelineOptions:
    p = deps.modules.pipelines
    return PipelineOptions(batch_size=p.batch_size, poll_interval=p.poll_interval,
                           iterations_per_run=p.iterations_per_run)


async def _act(deps: Dependencies, pipeline: Pipeline, update: str) -> PipelineState:
    return await deps.temporal.update_with_start(
        pipeline_start(pipeline, _options(deps)), deps.modules.pipelines.task_queue, update,
        PipelineState)


@router.get("/v2/{ledger}/pipelines", operation_id="v2ListPipelines")
async def list_pipelines(ledger: str, request: Request) -> Response:
    deps = dependencies(request)
    await deps.ledger.require_ledger(ledger)
    store = deps.exporter_store
    return await offset_page(
        request, lambda offset, limit: store.list_pipelines(ledger, offset, limit),
        lambda p: p.to_json())


@router.post("/v2/{ledger}/pipelines", operation_id="v2CreatePipeline", status_code=201)
async def create_pipeline(ledger: str, request: Request) -> Response:
    deps = dependencies(request)
    await deps.ledger.require_ledger(ledger)
    body = expect_object(await json_body(request, required=True), "body")
    exporter_id = body.get("exporterID")
    if not isinstance(exporter_id, str) or not exporter_id:
        raise ValidationError("exporterID is required and must be a string")
    svc = deps.exporters
    pipeline = await svc.create_pipeline(str(uuid4()), ledger, exporter_id, datetime.now(UTC))
    try:
        await deps.temporal.start(pipeline_start(pipeline, _options(deps)),
                                  deps.modules.pipelines.task_queue)
    except TemporalUnavailableError:
        # Without its workflow the pipeline would silently do nothing: undo the row.
        await svc.store.delete_pipeline(ledger, pipeline.id)
        raise
    return json_response({"data": pipeline.to_json()}, status=201)


@router.get("/v2/{ledger}/pipelines/{pipelineID}", operation_id="v2GetPipelineState")
async def get_pipeline(ledger: str, pipelineID: str, request: Request
                       ) -> Response:
    deps = dependencies(request)
    await deps.ledger.require_ledger(ledger)
    pipeline = await deps.exporters.get_pipeline(ledger, pipelineID)
    return json_response({"data": pipeline.to_json()})


@router.delete("/v2/{ledger}/pipelines/{pipelineID}", operation_id="v2DeletePipeline",
               status_code=204)
async def delete_pipeline(ledger: str, pipelineID: str, request: Request
                          ) -> Response:
    deps = dependencies(request)
    await deps.ledger.require_ledger(ledger)
    svc = deps.exporters
    pipeline = await svc.get_pipeline(ledger, pipelineID)
    await deps.temporal.terminate([pipeline_workflow_id(ledger, pipeline.id)],
                                  reason="pipeline deleted")
    await svc.store.delete_pipeline(ledger, pipeline.id)
    return Response(status_code=204)


async def _action(request: Request, ledger: str, pipeline_id: str, update: str) -> Response:
    deps = dependencies(request)
    await deps.ledger.require_ledger(ledger)
    svc = deps.exporters
    pipeline = await svc.get_pipeline(ledger, pipeline_id)
    state = await _act(deps, pipeline, update)
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
