"""Payments: schedule instances (one row per fetch run a schedule started: when, whether it
ended, its error) and the pause of a connector's schedules after repeated failed runs.

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE payments_instances (
    id text CONSTRAINT pk_payments_instances PRIMARY KEY,
    schedule_id text NOT NULL,
    connector_id text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    terminated boolean NOT NULL,
    terminated_at timestamptz,
    error text
)""")
    op.execute("CREATE INDEX ix_payments_instances_schedule_id ON payments_instances "
               "(schedule_id, created_at)")
    op.execute("CREATE INDEX ix_payments_instances_connector_id ON payments_instances "
               "(connector_id)")
    op.execute("ALTER TABLE payments_schedules ADD COLUMN paused_at timestamptz")
    op.execute("ALTER TABLE payments_schedules ADD COLUMN paused_reason text")


def downgrade() -> None:
    op.execute("ALTER TABLE payments_schedules DROP COLUMN paused_reason")
    op.execute("ALTER TABLE payments_schedules DROP COLUMN paused_at")
    op.execute("DROP TABLE IF EXISTS payments_instances")
