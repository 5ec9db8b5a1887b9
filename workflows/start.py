"""Start specs: everything a starter needs to start a module's workflow the way the module wants
it started — its id (from the business id), its id reuse and conflict policies (so a retried
call starts no second run), its search attributes and its summary (so the Temporal UI finds and
explains it). Each module's workflows/<m>/inputs.py builds them; the API (api/temporal.py) and
the workers' own starters (workers/webhooks.py) apply them through `start_options`, so no
starter chooses policies of its own. The task queue is the deployment's (config/<m>.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)


@dataclass(frozen=True)
class StartSpec:
    workflow: str  # the workflow type name
    id: str
    arg: BaseModel
    id_reuse_policy: WorkflowIDReusePolicy
    id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED
    search_attributes: tuple[SearchAttributePair[Any], ...] = ()
    summary: str | None = None
    details: str | None = None
    execution_timeout: timedelta | None = None


def start_options(spec: StartSpec, task_queue: str) -> dict[str, Any]:
    """Keyword arguments of `Client.start_workflow` and `WithStartWorkflowOperation` (after the
    workflow name and its argument)."""
    return {
        "id": spec.id,
        "task_queue": task_queue,
        "id_reuse_policy": spec.id_reuse_policy,
        "id_conflict_policy": spec.id_conflict_policy,
        "search_attributes": TypedSearchAttributes(list(spec.search_attributes)),
        "static_summary": spec.summary,
        "static_details": spec.details,
        "execution_timeout": spec.execution_timeout,
    }
