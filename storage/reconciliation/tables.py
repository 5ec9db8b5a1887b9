"""Table definitions mirroring migration 0013 (the migration is the source of truth)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from storage.metadata import metadata

reconciliation_policies = Table(
    "reconciliation_policies", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ledger_name", Text, nullable=False),
    Column("ledger_query", JSONB, nullable=False),
    Column("payments_pool_id", Text, nullable=False),
)

reconciliation_runs = Table(
    "reconciliation_runs", metadata,
    Column("id", Text, primary_key=True),
    Column("policy_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reconciled_at_ledger", DateTime(timezone=True), nullable=False),
    Column("reconciled_at_payments", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("ledger_balances", JSONB, nullable=False),
    Column("payments_balances", JSONB, nullable=False),
    Column("drift_balances", JSONB, nullable=False),
    Column("error", Text),
)

reconciliation_rules = Table(
    "reconciliation_rules", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("template_kind", Text, nullable=False),
    Column("template_spec", JSONB, nullable=False),
    Column("severity", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("cadence", Text, nullable=False),
    Column("schedule", JSONB),
    Column("labels", JSONB, nullable=False),
    Column("notifications", JSONB, nullable=False),
    Column("explanation_cel", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reconciliation_evaluations = Table(
    "reconciliation_evaluations", metadata,
    Column("id", Text, primary_key=True),
    Column("rule_id", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("pit_per_source", JSONB, nullable=False),
    Column("cost_units", BigInteger),
    Column("error", Text),
)

reconciliation_alerts = Table(
    "reconciliation_alerts", metadata,
    Column("id", Text, primary_key=True),
    Column("rule_id", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("period_id", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("occurrence_count", Integer, nullable=False),
    Column("last_evaluation_id", Text, nullable=False),
    Column("evidence", JSONB),
    Column("labels", JSONB, nullable=False),
    Column("ack", JSONB),
    Column("resolution", JSONB),
    Column("snooze", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reconciliation_alert_events = Table(
    "reconciliation_alert_events", metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("id", Text, nullable=False),
    Column("alert_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("prev_status", Text),
    Column("new_status", Text, nullable=False),
    Column("is_reopen", Boolean, nullable=False),
    Column("notify", Boolean, nullable=False),
    Column("evaluation_id", Text),
    Column("payload", JSONB, nullable=False),
)
