"""Workflow names, IDs, inputs and state of the ledger pipelines: what the API needs to start,
drive and read them, without the workflow code."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel

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
