"""Webhooks (configs, deliveries, attempts) and the outbox's commit-order frontier.

`events_outbox.tx_id` records the inserting transaction (xid8). Identity ids are handed out at
insert time but become visible at commit time, so reading "id > offset" can skip an event whose
transaction commits after a later id was read. The dispatcher therefore reads in (tx_id, id)
order and only below the current snapshot's xmin, where every transaction is finished and no
event can appear any more; consumers keep (last_tx_id, last_event_id) as their offset.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE events_outbox ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()"
    )
    op.execute("CREATE INDEX ix_events_outbox_tx_id_id ON events_outbox (tx_id, id)")
    op.execute(
        "ALTER TABLE events_consumer_offsets ADD COLUMN last_tx_id xid8 NOT NULL DEFAULT '0'"
    )

    op.create_table(
        "webhook_configs",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The consumer matches each event type against the active configs' arrays (@>).
    op.create_index("ix_webhook_configs_event_types", "webhook_configs", ["event_types"],
                    postgresql_using="gin")

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        # No foreign key: deleting a config keeps its deliveries (cancelled) for the record.
        sa.Column("config_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=True),
        # The exact body sent: every retry signs and sends the same bytes.
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempt_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("replay_generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cycle_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        # Set once the retry workflow is started; NULL with attempts > 0 means "start it".
        sa.Column("retry_workflow_id", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("event_id", "config_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'succeeded', 'failed', 'cancelled')",
            name="status",
        ),
    )
    op.create_index("ix_webhook_deliveries_status_created_at", "webhook_deliveries",
                    ["status", "created_at"])
    op.create_index("ix_webhook_deliveries_config_id", "webhook_deliveries", ["config_id"])
    op.create_index("ix_webhook_deliveries_created_at_id", "webhook_deliveries",
                    ["created_at", "id"])

    op.create_table(
        "webhook_attempts",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("delivery_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("attempt_number", sa.Integer, nullable=False),
        sa.Column("replay_generation", sa.Integer, nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.BigInteger, nullable=False),
        sa.Column("response_excerpt", sa.Text, nullable=True),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # A retried activity records its attempt once.
        sa.UniqueConstraint("delivery_id", "replay_generation", "attempt_number"),
    )


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_configs")
    op.execute("ALTER TABLE events_consumer_offsets DROP COLUMN last_tx_id")
    op.execute("DROP INDEX ix_events_outbox_tx_id_id")
    op.execute("ALTER TABLE events_outbox DROP COLUMN tx_id")
