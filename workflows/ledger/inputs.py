"""Workflow names, IDs, inputs and state of the ledger pipelines: what the API needs to start,
drive and read them, without the workflow code."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel
from temporalio.common import SearchAttributePair, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.ledger.exporters import Pipeline
from workflows import search_attributes
from workflows.start import StartSpec

PIPELINE_WORKFLOW = "ledger-pipeline"
START_UPDATE = "start"
STOP_UPDATE = "stop"
RESET_UPDATE = "reset"
STATE_QUERY = "state"


def pipeline_workflow_id(ledger: str, pipeline_id: str) -> str:
    return f"ledger-pipeline-{ledger}-{pipeline_id}"


class PipelineStatus(StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class PipelineOptions(BaseModel):
    """Carried in the input, so a running pipeline keeps the options it started with
    (config/ledger.py gives them to new runs)."""

    batch_size: int = 100
    poll_interval: timedelta = timedelta(seconds=1)  # when caught up, look again after this
    # Loop iterations (batches and idle polls) per run before continue-as-new keeps the
    # history short.
    iterations_per_run: int = 200


class PipelineInput(BaseModel):
    pipeline_id: str
    ledger: str
    exporter_id: str
    enabled: bool = True
    last_log_id: int = 0
    options: PipelineOptions = PipelineOptions()


class PipelineState(BaseModel):
    pipeline_id: str
    ledger: str
    exporter_id: str
    status: PipelineStatus
    last_log_id: int
    exported_this_run: int


def pipeline_start(pipeline: Pipeline, options: PipelineOptions) -> StartSpec:
    """The pipeline's workflow, resumed from its row (cursor and enabled flag)."""
    status = PipelineStatus.RUNNING if pipeline.enabled else PipelineStatus.STOPPED
    return StartSpec(
        PIPELINE_WORKFLOW, pipeline_workflow_id(pipeline.ledger, pipeline.id),
        PipelineInput(pipeline_id=pipeline.id, ledger=pipeline.ledger,
                      exporter_id=pipeline.exporter_id, enabled=pipeline.enabled,
                      last_log_id=pipeline.last_log_id, options=options),
        # A running pipeline is reused (retried create, or an action); a closed one is started
        # again from its row.
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=(
            SearchAttributePair(search_attributes.LEDGER, pipeline.ledger),
            SearchAttributePair(search_attributes.STATUS, status.value),
        ),
        summary=f"Pipeline of ledger {pipeline.ledger} to exporter {pipeline.exporter_id}",
        details=f"pipeline {pipeline.id}; start, stop and reset are updates; the `state` query "
                "shows the cursor",
    )
