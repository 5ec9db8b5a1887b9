"""Table definitions mirroring migration 0012 (the migration is the source of truth)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from storage.metadata import metadata

_TS = DateTime(timezone=True)

orchestration_workflows = Table(
    "orchestration_workflows", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text),
    Column("stages", JSONB, nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("updated_at", _TS, nullable=False),
    Column("deleted_at", _TS),
)

orchestration_instances = Table(
    "orchestration_instances", metadata,
    Column("id", Text, primary_key=True),
    Column("workflow_id", Text, nullable=False),
    Column("trigger_id", Text),
    Column("variables", JSONB, nullable=False),
    Column("launched", Boolean, nullable=False),
    Column("started_at", _TS),
    Column("terminated", Boolean, nullable=False),
    Column("terminated_at", _TS),
    Column("error", Text),
    Column("created_at", _TS, nullable=False),
    Column("updated_at", _TS, nullable=False),
)

orchestration_stage_statuses = Table(
    "orchestration_stage_statuses", metadata,
    Column("instance_id", Text, primary_key=True),
    Column("stage", Integer, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("input", JSONB, nullable=False),
    Column("started_at", _TS, nullable=False),
    Column("terminated_at", _TS),
    Column("error", Text),
)

orchestration_activities = Table(
    "orchestration_activities", metadata,
    Column("instance_id", Text, primary_key=True),
    Column("stage", Integer, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("input", JSONB, nullable=False),
    Column("output", JSONB),
    Column("error", Text),
    Column("attempt", Integer, nullable=False),
    Column("started_at", _TS, nullable=False),
    Column("terminated_at", _TS),
)

orchestration_triggers = Table(
    "orchestration_triggers", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text),
    Column("event", Text, nullable=False),
    Column("version", Text),
    Column("workflow_id", Text, nullable=False),
    Column("filter", Text),
    Column("vars", JSONB, nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("deleted_at", _TS),
)

orchestration_occurrences = Table(
    "orchestration_occurrences", metadata,
    Column("id", Text, primary_key=True),
    Column("trigger_id", Text, nullable=False),
    Column("event_id", BigInteger),
    Column("date", _TS, nullable=False),
    Column("event", JSONB, nullable=False),
    Column("instance_id", Text),
    Column("error", Text),
)
