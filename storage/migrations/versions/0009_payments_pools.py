"""Payments pools: named sets of accounts whose balances add up (static pools; the dynamic,
query-defined ones come later).

Revision ID: 0009
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE payments_pools (
    id text CONSTRAINT pk_payments_pools PRIMARY KEY,
    name text NOT NULL,
    type text NOT NULL,
    query jsonb,
    created_at timestamptz NOT NULL
)""")
    op.execute("""
CREATE TABLE payments_pool_accounts (
    pool_id text NOT NULL,
    account_id text NOT NULL,
    CONSTRAINT pk_payments_pool_accounts PRIMARY KEY (pool_id, account_id)
)""")
    op.execute("CREATE INDEX ix_payments_pool_accounts_account_id ON payments_pool_accounts "
               "(account_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS payments_pool_accounts")
    op.execute("DROP TABLE IF EXISTS payments_pools")
