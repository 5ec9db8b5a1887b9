"""Payments v3 payment initiations: the initiations, their append-only adjustments, the
payments they produced, their reversals, the provider sends of each attempt (recorded around
the call, so a send happens once per attempt) and each connector's next send slot (its send
rate). Payment service users (PSUs): their bank accounts, the connectors they were forwarded
to, their open-banking connections and link attempts.

Revision ID: 0011
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE payments_initiations (
    id text CONSTRAINT pk_payments_initiations PRIMARY KEY,
    connector_id text NOT NULL,
    provider text NOT NULL,
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    scheduled_at timestamptz,
    description text NOT NULL,
    type text NOT NULL,
    amount numeric NOT NULL,
    asset text NOT NULL,
    status text NOT NULL,
    error text,
    source_account_id text,
    destination_account_id text,
    metadata jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_initiations_created_at ON payments_initiations "
               "(created_at, id)")
    op.execute("CREATE INDEX ix_payments_initiations_connector_id ON payments_initiations "
               "(connector_id)")
    # seq orders the adjustments as they were appended (two may share a workflow time).
    op.execute("""
CREATE TABLE payments_initiation_adjustments (
    seq bigserial CONSTRAINT pk_payments_initiation_adjustments PRIMARY KEY,
    id text NOT NULL CONSTRAINT uq_payments_initiation_adjustments_id UNIQUE,
    initiation_id text NOT NULL,
    created_at timestamptz NOT NULL,
    status text NOT NULL,
    amount numeric,
    asset text,
    error text,
    metadata jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_initiation_adjustments_initiation_id ON "
               "payments_initiation_adjustments (initiation_id, seq)")
    op.execute("""
CREATE TABLE payments_initiation_related_payments (
    initiation_id text NOT NULL,
    payment_id text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_payments_initiation_related_payments PRIMARY KEY (initiation_id, payment_id)
)""")
    op.execute("""
CREATE TABLE payments_initiation_reversals (
    id text CONSTRAINT pk_payments_initiation_reversals PRIMARY KEY,
    initiation_id text NOT NULL,
    connector_id text NOT NULL,
    reference text NOT NULL,
    created_at timestamptz NOT NULL,
    description text NOT NULL,
    amount numeric NOT NULL,
    asset text NOT NULL,
    status text NOT NULL,
    error text,
    metadata jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_initiation_reversals_initiation_id ON "
               "payments_initiation_reversals (initiation_id)")
    op.execute("""
CREATE TABLE payments_initiation_sends (
    initiation_id text NOT NULL,
    attempt integer NOT NULL,
    idempotency_key text NOT NULL,
    started_at timestamptz NOT NULL,
    payment_id text,
    CONSTRAINT pk_payments_initiation_sends PRIMARY KEY (initiation_id, attempt)
)""")
    op.execute("""
CREATE TABLE payments_send_slots (
    connector_id text CONSTRAINT pk_payments_send_slots PRIMARY KEY,
    next_at timestamptz NOT NULL
)""")

    op.execute("""
CREATE TABLE payments_psus (
    id text CONSTRAINT pk_payments_psus PRIMARY KEY,
    created_at timestamptz NOT NULL,
    name text NOT NULL,
    contact_details jsonb NOT NULL,
    address jsonb NOT NULL,
    metadata jsonb NOT NULL
)""")
    op.execute("""
CREATE TABLE payments_psu_bank_accounts (
    psu_id text NOT NULL,
    bank_account_id text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_payments_psu_bank_accounts PRIMARY KEY (psu_id, bank_account_id)
)""")
    op.execute("""
CREATE TABLE payments_psu_connectors (
    psu_id text NOT NULL,
    connector_id text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_payments_psu_connectors PRIMARY KEY (psu_id, connector_id)
)""")
    op.execute("""
CREATE TABLE payments_open_banking_connections (
    id text CONSTRAINT pk_payments_open_banking_connections PRIMARY KEY,
    psu_id text NOT NULL,
    connector_id text NOT NULL,
    created_at timestamptz NOT NULL,
    data_updated_at timestamptz NOT NULL,
    status text NOT NULL,
    error text,
    metadata jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_payments_open_banking_connections_psu ON "
               "payments_open_banking_connections (psu_id, connector_id)")
    op.execute("""
CREATE TABLE payments_link_attempts (
    id text CONSTRAINT pk_payments_link_attempts PRIMARY KEY,
    psu_id text NOT NULL,
    connector_id text NOT NULL,
    connection_id text,
    created_at timestamptz NOT NULL,
    status text NOT NULL,
    client_redirect_url text NOT NULL,
    link text,
    error text
)""")
    op.execute("CREATE INDEX ix_payments_link_attempts_psu ON payments_link_attempts "
               "(psu_id, connector_id, created_at)")


def downgrade() -> None:
    for table in ("payments_link_attempts", "payments_open_banking_connections",
                  "payments_psu_connectors", "payments_psu_bank_accounts", "payments_psus",
                  "payments_send_slots", "payments_initiation_sends",
                  "payments_initiation_reversals", "payments_initiation_related_payments",
                  "payments_initiation_adjustments", "payments_initiations"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
