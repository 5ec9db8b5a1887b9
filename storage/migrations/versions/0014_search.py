"""Search: documents indexed from the events outbox.

Reserved in the migration chain; the module's tables land here.

Revision ID: 0014
"""

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
