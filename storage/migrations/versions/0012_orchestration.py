"""Orchestration: flows (workflow definitions), instances, stage statuses and the activity
history of each stage, triggers and occurrences.

Instances written by the triggers consumer in the batch transaction that advances its offset
are `launched = false` until their Temporal workflow is started; the consumer starts those it
finds (a crash between the commit and the start loses nothing). An occurrence is unique per
(trigger, event), so a redelivered event records nothing new.

Revision ID: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "orchestration_workflows",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("stages", postgresql.JSONB, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        # Soft delete, as Formance: instances and triggers keep naming their workflow.
        sa.Column("deleted_at", _TS, nullable=True),
    )
    op.create_index("ix_orchestration_workflows_created_at", "orchestration_workflows",
                    ["created_at", "id"])

    op.create_table(
        "orchestration_instances",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("workflow_id", sa.Text, nullable=False),
        sa.Column("trigger_id", sa.Text, nullable=True),
        sa.Column("variables", postgresql.JSONB, nullable=False,
                  server_default=sa.text("'{}'::jsonb")),
        sa.Column("launched", sa.Boolean, nullable=False, server_default=sa.true()),
        # Set by the instance workflow's first activity (STARTED_WORKFLOW is written once).
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("terminated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("terminated_at", _TS, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_orchestration_instances_workflow", "orchestration_instances",
                    ["workflow_id", "created_at", "id"])
    op.create_index("ix_orchestration_instances_created_at", "orchestration_instances",
                    ["created_at", "id"])
    op.create_index("ix_orchestration_instances_unlaunched", "orchestration_instances",
                    ["created_at"], postgresql_where=sa.text("NOT launched"))

    op.create_table(
        "orchestration_stage_statuses",
        sa.Column("instance_id", sa.Text, nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("input", postgresql.JSONB, nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("terminated_at", _TS, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("instance_id", "stage"),
    )

    op.create_table(
        "orchestration_activities",
        sa.Column("instance_id", sa.Text, nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("input", postgresql.JSONB, nullable=False),
        sa.Column("output", postgresql.JSONB, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("terminated_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("instance_id", "stage", "seq"),
    )

    op.create_table(
        "orchestration_triggers",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=True),
        sa.Column("workflow_id", sa.Text, nullable=False),
        sa.Column("filter", sa.Text, nullable=True),
        sa.Column("vars", postgresql.JSONB, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("deleted_at", _TS, nullable=True),
    )
    # The consumer looks triggers up by event type for every event it reads.
    op.create_index("ix_orchestration_triggers_event", "orchestration_triggers", ["event"],
                    postgresql_where=sa.text("deleted_at IS NULL"))

    op.create_table(
        "orchestration_occurrences",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("trigger_id", sa.Text, nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=True),
        sa.Column("date", _TS, nullable=False),
        sa.Column("event", postgresql.JSONB, nullable=False),
        sa.Column("instance_id", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("trigger_id", "event_id"),
    )
    op.create_index("ix_orchestration_occurrences_trigger_date", "orchestration_occurrences",
                    ["trigger_id", "date", "id"])


def downgrade() -> None:
    for table in ("orchestration_occurrences", "orchestration_triggers",
                  "orchestration_activities", "orchestration_stage_statuses",
                  "orchestration_instances", "orchestration_workflows"):
        op.drop_table(table)
