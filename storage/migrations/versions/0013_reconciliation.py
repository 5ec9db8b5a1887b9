"""Reconciliation: policies, runs, rules, evaluations and alerts.

Reserved in the migration chain; the module's tables land here.

Revision ID: 0013
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
