"""Request bodies and the JSON of the orchestration spec (v1 and v2 share the shapes; only the
list envelopes differ)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.orchestration.models import (
    ActivityRecord,
    Instance,
    Occurrence,
    StageStatus,
    Trigger,
    TriggerTest,
    Workflow,
)


class CreateWorkflow(BaseModel):
    name: str | None = None
    # Checked stage by stage by the domain, which names the stage and the field.
    stages: list[Any]


class TriggerData(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    event: str
    workflow_id: str = Field(alias="workflowID")
    name: str | None = None
    version: str | None = None
    filter: str | None = None
    vars: dict[str, Any] | None = None


class EventBody(BaseModel):
    name: str = Field(min_length=1, max_length=256)


def ts(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def workflow_json(w: Workflow) -> dict[str, Any]:
    config: dict[str, Any] = {"stages": w.stages}
    if w.name is not None:
        config["name"] = w.name
    return {"id": w.id, "config": config, "createdAt": ts(w.created_at),
            "updatedAt": ts(w.updated_at)}


def status_json(s: StageStatus) -> dict[str, Any]:
    return _compact({"stage": s.stage, "instanceID": s.instance_id,
                     "startedAt": ts(s.started_at), "terminatedAt": ts(s.terminated_at),
                     "error": s.error})


def instance_json(i: Instance, workflow: Workflow | None = None) -> dict[str, Any]:
    body = _compact({"id": i.id, "workflowID": i.workflow_id, "createdAt": ts(i.created_at),
                     "updatedAt": ts(i.updated_at), "terminated": i.terminated,
                     "terminatedAt": ts(i.terminated_at), "error": i.error})
    body["status"] = [status_json(s) for s in i.statuses]
    if workflow is not None:
        body["workflow"] = workflow_json(workflow)
    return body


def _run_name(kind: str) -> str:
    # Formance names a stage's history entry after its child workflow: RunSend, RunWaitEvent.
    return "Run" + "".join(part.capitalize() for part in kind.split("_"))


def instance_history_json(i: Instance) -> list[dict[str, Any]]:
    return [_compact({"name": _run_name(s.kind), "input": s.input, "error": s.error,
                      "terminated": s.terminated_at is not None,
                      "startedAt": ts(s.started_at), "terminatedAt": ts(s.terminated_at)})
            for s in i.statuses]


def stage_history_json(records: list[ActivityRecord], version: int = 2
                       ) -> list[dict[str, Any]]:
    return [_compact({"name": r.name, "input": r.input,
                      "output": r.output if version == 2 else _v1_output(r.output),
                      "error": r.error, "terminated": r.terminated_at is not None,
                      "attempt": r.attempt, "startedAt": ts(r.started_at),
                      "terminatedAt": ts(r.terminated_at)})
            for r in records]


def _v1_output(output: dict[str, Any] | None) -> dict[str, Any] | None:
    """v1 shows a CreateTransaction output as ledger v1 did, one transaction with `id` and
    `reverted` (Formance rewrites it the same way for its v1 route)."""
    if not output or "CreateTransaction" not in output:
        return output
    transactions = output["CreateTransaction"].get("data") or []
    if not transactions:
        return None
    tx = dict(transactions[0])
    tx["id"] = tx.pop("txid", None)
    tx.setdefault("reverted", False)
    return {"CreateTransaction": {"data": tx}}


def trigger_json(t: Trigger) -> dict[str, Any]:
    return _compact({"id": t.id, "name": t.name, "event": t.event, "version": t.version,
                     "workflowID": t.workflow_id, "filter": t.filter, "vars": t.vars,
                     "createdAt": ts(t.created_at)})


def occurrence_json(o: Occurrence) -> dict[str, Any]:
    return _compact({"date": ts(o.date), "triggerID": o.trigger_id, "event": o.event,
                     "workflowInstanceID": o.instance_id, "error": o.error})


def trigger_test_json(t: TriggerTest) -> dict[str, Any]:
    return {"filter": _compact({"match": t.match, "error": t.filter_error}),
            "variables": {name: _compact({"value": value, "error": error})
                          for name, (value, error) in t.variables.items()}}
