"""The orchestration store: what the API reads and writes (OrchestrationStore) and what the
instance workflow's activities record. Status changes write their event to the outbox in the
same transaction and only when they change something, so a retried activity records (and
announces) a stage once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.orchestration.models import (
    ActivityRecord,
    Instance,
    Occurrence,
    Trigger,
    Workflow,
)
from storage.database import Database
from storage.orchestration import rows
from storage.orchestration.tables import (
    orchestration_activities as activities,
)
from storage.orchestration.tables import (
    orchestration_instances as instances,
)
from storage.orchestration.tables import (
    orchestration_occurrences as occurrences,
)
from storage.orchestration.tables import (
    orchestration_stage_statuses as statuses,
)
from storage.orchestration.tables import (
    orchestration_triggers as triggers,
)
from storage.orchestration.tables import (
    orchestration_workflows as workflows,
)
from storage.outbox import event_envelope, events_outbox

APP = "orchestration"


def _now() -> datetime:
    return datetime.now(UTC)


async def publish(conn: AsyncConnection, event_type: str, payload: dict[str, Any]) -> None:
    await conn.execute(insert(events_outbox).values(
        app=APP, type=event_type, envelope=event_envelope(APP, event_type, payload),
        created_at=_now()))


class PgOrchestrationStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # --- workflows ----------------------------------------------------------------------------

    async def create_workflow(self, workflow: Workflow) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(workflows).values(
                id=workflow.id, name=workflow.name, stages=workflow.stages,
                created_at=workflow.created_at, updated_at=workflow.updated_at))

    async def get_workflow(self, workflow_id: str) -> Workflow | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(workflows).where(
                workflows.c.id == workflow_id, workflows.c.deleted_at.is_(None)))).first()
        return rows.workflow(row) if row is not None else None

    async def list_workflows(self, offset: int, limit: int) -> list[Workflow]:
        async with self.database.engine.connect() as conn:
            found = (await conn.execute(
                select(workflows).where(workflows.c.deleted_at.is_(None))
                .order_by(workflows.c.created_at, workflows.c.id).offset(offset).limit(limit)
            )).all()
        return [rows.workflow(r) for r in found]

    async def delete_workflow(self, workflow_id: str) -> bool:
        async with self.database.transaction() as conn:
            result = await conn.execute(update(workflows).where(
                workflows.c.id == workflow_id, workflows.c.deleted_at.is_(None)
            ).values(deleted_at=_now()))
        return bool(result.rowcount)

    # --- instances ----------------------------------------------------------------------------

    async def create_instance(self, instance: Instance) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(instances).values(
                id=instance.id, workflow_id=instance.workflow_id,
                trigger_id=instance.trigger_id, variables={}, launched=True, terminated=False,
                created_at=instance.created_at, updated_at=instance.updated_at))

    async def forget_instance(self, instance_id: str) -> None:
        """An instance whose workflow could not be started never existed."""
        async with self.database.transaction() as conn:
            await conn.execute(instances.delete().where(instances.c.id == instance_id))

    async def get_instance(self, instance_id: str) -> Instance | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(instances).where(
                instances.c.id == instance_id))).first()
            if row is None:
                return None
            stages = (await conn.execute(select(statuses).where(
                statuses.c.instance_id == instance_id).order_by(statuses.c.stage))).all()
        return rows.instance(row, [rows.stage_status(s) for s in stages])

    async def list_instances(self, workflow_id: str | None, running: bool | None, offset: int,
                             limit: int) -> list[Instance]:
        query = select(instances)
        if workflow_id:
            query = query.where(instances.c.workflow_id == workflow_id)
        if running is not None:
            query = query.where(instances.c.terminated.is_(not running))
        query = query.order_by(instances.c.created_at, instances.c.id).offset(offset) \
            .limit(limit)
        async with self.database.engine.connect() as conn:
            found = (await conn.execute(query)).all()
            ids = [r.id for r in found]
            stages = (await conn.execute(select(statuses).where(
                statuses.c.instance_id.in_(ids)).order_by(statuses.c.stage))).all() \
                if ids else []
        by_instance: dict[str, list[Any]] = {}
        for s in stages:
            by_instance.setdefault(s.instance_id, []).append(rows.stage_status(s))
        return [rows.instance(r, by_instance.get(r.id, [])) for r in found]

    async def stage_history(self, instance_id: str, stage: int) -> list[ActivityRecord]:
        async with self.database.engine.connect() as conn:
            found = (await conn.execute(select(activities).where(
                activities.c.instance_id == instance_id, activities.c.stage == stage
            ).order_by(activities.c.seq))).all()
        return [rows.activity(r) for r in found]

    # --- recorded by the instance workflow's activities ----------------------------------------

    async def instance_started(self, instance_id: str, workflow_id: str) -> None:
        async with self.database.transaction() as conn:
            changed = await conn.execute(update(instances).where(
                instances.c.id == instance_id, instances.c.started_at.is_(None)
            ).values(started_at=_now(), launched=True))
            if changed.rowcount:
                await publish(conn, "STARTED_WORKFLOW",
                              {"id": workflow_id, "instanceID": instance_id})

    async def stage_started(self, instance_id: str, workflow_id: str, stage: int, kind: str,
                            spec: dict[str, Any]) -> None:
        async with self.database.transaction() as conn:
            inserted = await conn.execute(pg_insert(statuses).values(
                instance_id=instance_id, stage=stage, kind=kind, input=spec,
                started_at=_now()).on_conflict_do_nothing())
            if inserted.rowcount:
                await conn.execute(update(instances).where(instances.c.id == instance_id)
                                   .values(updated_at=_now()))
                await publish(conn, "STARTED_WORKFLOW_STAGE",
                              {"id": workflow_id, "instanceID": instance_id, "number": stage})

    async def stage_finished(self, instance_id: str, workflow_id: str, stage: int,
                             error: str | None) -> None:
        async with self.database.transaction() as conn:
            changed = await conn.execute(update(statuses).where(
                statuses.c.instance_id == instance_id, statuses.c.stage == stage,
                statuses.c.terminated_at.is_(None)).values(terminated_at=_now(), error=error))
            if changed.rowcount:
                payload: dict[str, Any] = {"id": workflow_id, "instanceID": instance_id,
                                           "number": stage}
                if error is not None:
                    payload["error"] = error
                await publish(conn, "FAILED_WORKFLOW_STAGE" if error
                              else "SUCCEEDED_WORKFLOW_STAGE", payload)

    async def instance_finished(self, instance_id: str, workflow_id: str,
                                error: str | None) -> None:
        now = _now()
        async with self.database.transaction() as conn:
            changed = await conn.execute(update(instances).where(
                instances.c.id == instance_id, instances.c.terminated.is_(False)
            ).values(terminated=True, terminated_at=now, updated_at=now, error=error))
            if changed.rowcount:
                payload: dict[str, Any] = {"id": workflow_id, "instanceID": instance_id}
                if error is not None:
                    payload["error"] = error
                await publish(conn, "FAILED_WORKFLOW" if error else "SUCCEEDED_WORKFLOW",
                              payload)

    async def activity_started(self, record: ActivityRecord) -> None:
        """A retried attempt updates its row: one row per activity, its last attempt."""
        async with self.database.transaction() as conn:
            statement = pg_insert(activities).values(
                instance_id=record.instance_id, stage=record.stage, seq=record.seq,
                name=record.name, input=record.input, attempt=record.attempt,
                started_at=record.started_at)
            await conn.execute(statement.on_conflict_do_update(
                index_elements=[activities.c.instance_id, activities.c.stage, activities.c.seq],
                set_={"attempt": statement.excluded.attempt}))

    async def activity_finished(self, instance_id: str, stage: int, seq: int,
                                output: dict[str, Any] | None, error: str | None) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(update(activities).where(and_(
                activities.c.instance_id == instance_id, activities.c.stage == stage,
                activities.c.seq == seq)).values(output=output, error=error,
                                                 terminated_at=_now()))

    # --- triggers -----------------------------------------------------------------------------

    async def create_trigger(self, trigger: Trigger) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(triggers).values(
                id=trigger.id, name=trigger.name, event=trigger.event, version=trigger.version,
                workflow_id=trigger.workflow_id, filter=trigger.filter, vars=trigger.vars,
                created_at=trigger.created_at))

    async def get_trigger(self, trigger_id: str) -> Trigger | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(triggers).where(
                triggers.c.id == trigger_id, triggers.c.deleted_at.is_(None)))).first()
        return rows.trigger(row) if row is not None else None

    async def list_triggers(self, name: str | None, offset: int, limit: int) -> list[Trigger]:
        query = select(triggers).where(triggers.c.deleted_at.is_(None))
        if name:
            query = query.where(triggers.c.name == name)
        async with self.database.engine.connect() as conn:
            found = (await conn.execute(query.order_by(triggers.c.created_at, triggers.c.id)
                                        .offset(offset).limit(limit))).all()
        return [rows.trigger(r) for r in found]

    async def delete_trigger(self, trigger_id: str) -> bool:
        async with self.database.transaction() as conn:
            result = await conn.execute(update(triggers).where(
                triggers.c.id == trigger_id, triggers.c.deleted_at.is_(None)
            ).values(deleted_at=_now()))
        return bool(result.rowcount)

    async def list_occurrences(self, trigger_id: str, offset: int, limit: int
                               ) -> list[Occurrence]:
        async with self.database.engine.connect() as conn:
            found = (await conn.execute(select(occurrences).where(
                occurrences.c.trigger_id == trigger_id
            ).order_by(occurrences.c.date, occurrences.c.id).offset(offset).limit(limit))).all()
        return [rows.occurrence(r) for r in found]
