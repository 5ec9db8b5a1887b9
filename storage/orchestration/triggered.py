"""What the triggers consumer writes inside the dispatcher's batch transaction (so it commits
with the consumer's offset), and the instances it then starts.

An occurrence is unique per (trigger, event) and the instance id is derived from both
(domain/orchestration/ids.py), so a batch read twice records nothing twice. A triggered instance
is written `launched = false`; `unlaunched` lists those still to start and `mark_launched`
records that their workflow exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.orchestration.models import Trigger
from storage.database import Database
from storage.orchestration import rows
from storage.orchestration.store import publish
from storage.orchestration.tables import (
    orchestration_instances as instances,
)
from storage.orchestration.tables import (
    orchestration_occurrences as occurrences,
)
from storage.orchestration.tables import (
    orchestration_triggers as triggers,
)
from storage.orchestration.tables import (
    orchestration_workflows as workflows,
)


@dataclass(frozen=True)
class Launch:
    """A triggered instance whose workflow is to be started."""

    instance_id: str
    workflow_id: str
    trigger_id: str
    flow_name: str | None
    stages: list[dict[str, Any]]
    variables: dict[str, str]


async def triggers_for(conn: AsyncConnection, event_types: set[str]) -> list[Trigger]:
    found = (await conn.execute(select(triggers).where(
        triggers.c.event.in_(sorted(event_types)), triggers.c.deleted_at.is_(None)
    ).order_by(triggers.c.created_at, triggers.c.id))).all()
    return [rows.trigger(r) for r in found]


async def record_occurrence(conn: AsyncConnection, trigger: Trigger, event_id: int,
                            payload: dict[str, Any], *, instance_id: str | None,
                            variables: dict[str, str], error: str | None) -> bool:
    """False when this (trigger, event) was recorded already (a redelivered event)."""
    now = datetime.now(UTC)
    inserted = await conn.execute(pg_insert(occurrences).values(
        id=str(uuid4()), trigger_id=trigger.id, event_id=event_id, date=now, event=payload,
        instance_id=instance_id, error=error,
    ).on_conflict_do_nothing(index_elements=[occurrences.c.trigger_id,
                                              occurrences.c.event_id]))
    if not inserted.rowcount:
        return False
    if instance_id is not None:
        await conn.execute(pg_insert(instances).values(
            id=instance_id, workflow_id=trigger.workflow_id, trigger_id=trigger.id,
            variables=variables, launched=False, terminated=False, created_at=now,
            updated_at=now).on_conflict_do_nothing())
        await publish(conn, "SUCCEEDED_TRIGGER", {"id": instance_id, "triggerID": trigger.id,
                                                  "workflowInstanceID": instance_id})
    else:
        await publish(conn, "FAILED_TRIGGER", {"id": trigger.id, "triggerID": trigger.id,
                                               "error": error or "failed"})
    return True


async def unlaunched(database: Database, limit: int) -> list[Launch]:
    async with database.engine.connect() as conn:
        found = (await conn.execute(
            select(instances.c.id, instances.c.workflow_id, instances.c.trigger_id,
                   instances.c.variables, workflows.c.name, workflows.c.stages)
            .join(workflows, workflows.c.id == instances.c.workflow_id)
            .where(instances.c.launched.is_(False))
            .order_by(instances.c.created_at).limit(limit))).all()
    return [Launch(instance_id=r.id, workflow_id=r.workflow_id, trigger_id=r.trigger_id,
                   flow_name=r.name, stages=r.stages, variables=r.variables) for r in found]


async def mark_launched(database: Database, instance_ids: list[str]) -> None:
    if not instance_ids:
        return
    async with database.transaction() as conn:
        await conn.execute(update(instances).where(instances.c.id.in_(instance_ids))
                           .values(launched=True))
