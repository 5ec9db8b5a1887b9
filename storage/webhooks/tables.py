"""Table definitions mirroring migrations 0003 and 0006 (the migration is the source of truth)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Integer, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from storage.metadata import metadata

webhook_configs = Table(
    "webhook_configs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text),
    Column("endpoint", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", BigInteger, nullable=False),
    Column("config_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("idempotency_key", Text),
    Column("payload", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempt_count", Integer, nullable=False),
    Column("replay_generation", Integer, nullable=False),
    Column("cycle_started_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("retry_workflow_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("delivery_id", UUID(as_uuid=True), ForeignKey("webhook_deliveries.id"),
           nullable=False),
    Column("attempt_number", Integer, nullable=False),
    Column("replay_generation", Integer, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("error", Text),
    Column("duration_ms", BigInteger, nullable=False),
    Column("response_excerpt", Text),
    Column("next_retry_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

webhook_replay_requests = Table(
    "webhook_replay_requests",
    metadata,
    Column("idempotency_key", Text, primary_key=True),
    Column("operation", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
