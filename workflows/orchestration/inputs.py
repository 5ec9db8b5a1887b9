"""What the API and the triggers consumer need to start and talk to a flow instance: names, ids
and payloads. No activity imports here: the API imports this module and must not reach the
activities."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from temporalio.common import SearchAttributePair, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from workflows import search_attributes
from workflows.start import StartSpec

INSTANCE_WORKFLOW = "orchestration.flow_instance"
EVENT_UPDATE = "event"
STATE_QUERY = "state"


def instance_workflow_id(instance_id: str) -> str:
    return f"flow-instance-{instance_id}"


class InstanceStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"


class InstanceInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    instance_id: str
    workflow_id: str
    stages: list[dict[str, Any]]
    variables: dict[str, str] = Field(default_factory=dict)
    trigger_id: str | None = None
    # The ledger holding the wallets (config/wallets.py), for sends to and from wallets.
    wallets_ledger: str
    # Events kept for a wait_event stage that has not started yet (config/orchestration.py).
    max_pending_events: int = 100
    # How often a send to a payment destination with awaitFinalStatus reads the initiation.
    payment_poll_seconds: float = 5.0


class SendEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str


class EventAck(BaseModel):
    """The instance took the event: a stage waiting for it now (`consumed`), or kept for a
    later wait_event stage."""

    model_config = ConfigDict(frozen=True)
    consumed: bool
    pending: int


class InstanceState(BaseModel):
    status: InstanceStatus = InstanceStatus.RUNNING
    stage: int = -1
    waiting_for: str | None = None
    pending_events: list[str] = Field(default_factory=list)
    error: str | None = None


def instance_start(data: InstanceInput, flow_name: str | None) -> StartSpec:
    attributes: list[SearchAttributePair[Any]] = [
        SearchAttributePair(search_attributes.FLOW_ID, data.workflow_id),
        SearchAttributePair(search_attributes.INSTANCE_ID, data.instance_id),
        SearchAttributePair(search_attributes.STATUS, InstanceStatus.RUNNING.value),
    ]
    if data.trigger_id:
        attributes.append(SearchAttributePair(search_attributes.TRIGGER_ID, [data.trigger_id]))
    kinds = ", ".join(next(iter(s), "?") for s in data.stages) or "no stages"
    return StartSpec(
        INSTANCE_WORKFLOW, instance_workflow_id(data.instance_id), data,
        # One run per instance, ever: a retried start (API or a redelivered event) finds the
        # run already there and starts nothing.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=tuple(attributes),
        summary=f"Flow {flow_name or data.workflow_id}: instance {data.instance_id}"
                + (f" (trigger {data.trigger_id})" if data.trigger_id else ""),
        details=f"stages: {kinds}; events are the update {EVENT_UPDATE!r}",
    )
