"""Payments orders and conversions, ingested from connectors with FETCH_ORDERS and
FETCH_CONVERSIONS. An order shows its latest state; its adjustments are the append-only history
of the states the provider reported (one row per distinct status, fill and fee; `seq` keeps the
order they were stored in for equal times). A conversion keeps only its latest state.

Revision ID: 0015
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE payments_orders (
    id text CONSTRAINT pk_payments_orders PRIMARY KEY,
    connector_id text NOT NULL,
    provider text NOT NULL,
    reference text NOT NULL,
    client_order_id text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    direction text NOT NULL,
    source_asset text NOT NULL,
    destination_asset text NOT NULL,
    type text NOT NULL,
    status text NOT NULL,
    base_quantity_ordered numeric NOT NULL,
    base_quantity_filled numeric,
    limit_price numeric,
    stop_price numeric,
    time_in_force text NOT NULL,
    expires_at timestamptz,
    fee numeric,
    fee_asset text,
    average_fill_price numeric,
    quote_amount numeric,
    quote_asset text,
    price_asset text,
    source_account_id text,
    destination_account_id text,
    error text,
    metadata jsonb NOT NULL
)""")
    # Lists are ordered by (created_at, id); an uninstall deletes by connector.
    op.execute("CREATE INDEX ix_payments_orders_created_at ON payments_orders (created_at, id)")
    op.execute("CREATE INDEX ix_payments_orders_connector_id ON payments_orders (connector_id)")
    op.execute("""
CREATE TABLE payments_order_adjustments (
    seq bigserial CONSTRAINT pk_payments_order_adjustments PRIMARY KEY,
    id text NOT NULL CONSTRAINT uq_payments_order_adjustments_id UNIQUE,
    order_id text NOT NULL,
    connector_id text NOT NULL,
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    status text NOT NULL,
    base_quantity_filled numeric,
    fee numeric,
    fee_asset text,
    metadata jsonb NOT NULL,
    raw jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_order_adjustments_order_id ON "
               "payments_order_adjustments (order_id, created_at, seq)")
    op.execute("CREATE INDEX ix_payments_order_adjustments_connector_id ON "
               "payments_order_adjustments (connector_id)")
    op.execute("""
CREATE TABLE payments_conversions (
    id text CONSTRAINT pk_payments_conversions PRIMARY KEY,
    connector_id text NOT NULL,
    provider text NOT NULL,
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    source_asset text NOT NULL,
    destination_asset text NOT NULL,
    source_amount numeric NOT NULL,
    destination_amount numeric,
    fee numeric,
    fee_asset text,
    status text NOT NULL,
    source_account_id text,
    destination_account_id text,
    error text,
    metadata jsonb NOT NULL,
    raw jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_conversions_created_at ON "
               "payments_conversions (created_at, id)")
    op.execute("CREATE INDEX ix_payments_conversions_connector_id ON "
               "payments_conversions (connector_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS payments_conversions")
    op.execute("DROP TABLE IF EXISTS payments_order_adjustments")
    op.execute("DROP TABLE IF EXISTS payments_orders")
