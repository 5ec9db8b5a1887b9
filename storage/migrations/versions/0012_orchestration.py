"""Orchestration: flows (workflow definitions), instances, stages, triggers and occurrences.

Reserved in the migration chain; the module's tables land here.

Revision ID: 0012
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
