"""The events outbox: every module writes its Formance events here in the same transaction as the
change that caused them; the dispatcher reads them in id order.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("app", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("envelope", postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    # What each consumer (webhooks, triggers, search) has processed: one row per consumer.
    op.create_table(
        "events_consumer_offsets",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("last_event_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("events_consumer_offsets")
    op.drop_table("events_outbox")
