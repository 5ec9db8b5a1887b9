"""Payments v3: connectors, accounts, balances (a row per change), payments and their
adjustments, fetch states, schedules and tasks. No foreign keys to the connector: an uninstall
purges its rows explicitly, in one transaction.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TABLES = ("payments_tasks", "payments_schedules", "payments_states", "payments_adjustments",
           "payments_payments", "payments_balances", "payments_accounts", "payments_connectors")


def upgrade() -> None:
    op.execute("""
CREATE TABLE payments_connectors (
    id text CONSTRAINT pk_payments_connectors PRIMARY KEY,
    reference text NOT NULL,
    provider text NOT NULL,
    name text NOT NULL,
    config jsonb NOT NULL,
    scheduled_for_deletion boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
)""")
    op.execute("""
CREATE TABLE payments_accounts (
    id text CONSTRAINT pk_payments_accounts PRIMARY KEY,
    connector_id text NOT NULL,
    provider text NOT NULL,
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    type text NOT NULL,
    name text,
    default_asset text,
    metadata jsonb NOT NULL,
    raw jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_accounts_connector_id ON payments_accounts "
               "(connector_id, reference)")
    op.execute("CREATE INDEX ix_payments_accounts_created_at_id ON payments_accounts "
               "(created_at, id)")
    op.execute("""
CREATE TABLE payments_balances (
    account_id text NOT NULL,
    connector_id text NOT NULL,
    asset text NOT NULL,
    balance numeric NOT NULL,
    created_at timestamptz NOT NULL,
    last_updated_at timestamptz NOT NULL,
    CONSTRAINT pk_payments_balances PRIMARY KEY (account_id, asset, created_at)
)""")
    op.execute("CREATE INDEX ix_payments_balances_connector_id ON payments_balances "
               "(connector_id)")
    op.execute("""
CREATE TABLE payments_payments (
    id text CONSTRAINT pk_payments_payments PRIMARY KEY,
    connector_id text NOT NULL,
    provider text NOT NULL,
    reference text NOT NULL,
    type text NOT NULL,
    created_at timestamptz NOT NULL,
    initial_amount numeric NOT NULL,
    amount numeric NOT NULL,
    asset text NOT NULL,
    scheme text NOT NULL,
    status text NOT NULL,
    source_account_id text,
    destination_account_id text,
    metadata jsonb NOT NULL,
    updated_at timestamptz NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_payments_connector_id ON payments_payments "
               "(connector_id)")
    op.execute("CREATE INDEX ix_payments_payments_created_at_id ON payments_payments "
               "(created_at, id)")
    op.execute("""
CREATE TABLE payments_adjustments (
    id text CONSTRAINT pk_payments_adjustments PRIMARY KEY,
    payment_id text NOT NULL,
    connector_id text NOT NULL,
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    status text NOT NULL,
    amount numeric,
    asset text,
    metadata jsonb NOT NULL,
    raw jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_adjustments_payment_id ON payments_adjustments "
               "(payment_id, created_at)")
    op.execute("CREATE INDEX ix_payments_adjustments_connector_id ON payments_adjustments "
               "(connector_id)")
    op.execute("""
CREATE TABLE payments_states (
    connector_id text NOT NULL,
    key text NOT NULL,
    state jsonb NOT NULL,
    CONSTRAINT pk_payments_states PRIMARY KEY (connector_id, key)
)""")
    op.execute("""
CREATE TABLE payments_schedules (
    id text CONSTRAINT pk_payments_schedules PRIMARY KEY,
    connector_id text NOT NULL,
    created_at timestamptz NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_schedules_connector_id ON payments_schedules "
               "(connector_id)")
    op.execute("""
CREATE TABLE payments_tasks (
    id text CONSTRAINT pk_payments_tasks PRIMARY KEY,
    connector_id text,
    status text NOT NULL,
    created_object_id text,
    error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
)""")


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
