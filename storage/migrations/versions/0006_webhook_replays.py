"""Webhook replays: the results of replay requests, cached by their Idempotency-Key.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE webhook_replay_requests (
    idempotency_key text CONSTRAINT pk_webhook_replay_requests PRIMARY KEY,
    operation text NOT NULL,
    request_hash text NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL
)""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS webhook_replay_requests")
