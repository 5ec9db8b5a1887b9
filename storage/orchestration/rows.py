"""Rows to domain models."""

from __future__ import annotations

from typing import Any

from domain.orchestration.models import (
    ActivityRecord,
    Instance,
    Occurrence,
    StageStatus,
    Trigger,
    Workflow,
)


def workflow(r: Any) -> Workflow:
    return Workflow(id=r.id, name=r.name, stages=r.stages, created_at=r.created_at,
                    updated_at=r.updated_at)


def stage_status(r: Any) -> StageStatus:
    return StageStatus(instance_id=r.instance_id, stage=r.stage, kind=r.kind, input=r.input,
                       started_at=r.started_at, terminated_at=r.terminated_at, error=r.error)


def instance(r: Any, statuses: list[StageStatus]) -> Instance:
    return Instance(id=r.id, workflow_id=r.workflow_id, trigger_id=r.trigger_id,
                    created_at=r.created_at, updated_at=r.updated_at, terminated=r.terminated,
                    terminated_at=r.terminated_at, error=r.error, statuses=statuses)


def activity(r: Any) -> ActivityRecord:
    return ActivityRecord(instance_id=r.instance_id, stage=r.stage, seq=r.seq, name=r.name,
                          input=r.input, output=r.output, error=r.error, attempt=r.attempt,
                          started_at=r.started_at, terminated_at=r.terminated_at)


def trigger(r: Any) -> Trigger:
    return Trigger(id=r.id, name=r.name, event=r.event, version=r.version,
                   workflow_id=r.workflow_id, filter=r.filter, vars=r.vars,
                   created_at=r.created_at)


def occurrence(r: Any) -> Occurrence:
    return Occurrence(id=r.id, trigger_id=r.trigger_id, event_id=r.event_id, date=r.date,
                      event=r.event, instance_id=r.instance_id, error=r.error)
