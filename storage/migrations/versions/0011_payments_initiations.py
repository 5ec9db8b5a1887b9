"""Payments v3 payment initiations (adjustments, related payments, reversals) and payment service users, open banking.

Reserved in the migration chain; the module's tables land here.

Revision ID: 0011
"""

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
