"""Payments bank accounts: Formance objects a user creates (name, account number or IBAN, ...)
and, per connector it was forwarded to, the external account the connector created for it.

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE payments_bank_accounts (
    id text CONSTRAINT pk_payments_bank_accounts PRIMARY KEY,
    created_at timestamptz NOT NULL,
    name text NOT NULL,
    account_number text,
    iban text,
    swift_bic_code text,
    country text,
    metadata jsonb NOT NULL
)""")
    op.execute("""
CREATE TABLE payments_bank_account_related_accounts (
    bank_account_id text NOT NULL,
    account_id text NOT NULL,
    connector_id text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_payments_bank_account_related_accounts PRIMARY KEY (bank_account_id,
                                                                       account_id)
)""")
    # An uninstall deletes the related accounts of its connector.
    op.execute("CREATE INDEX ix_payments_bank_account_related_accounts_connector_id ON "
               "payments_bank_account_related_accounts (connector_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS payments_bank_account_related_accounts")
    op.execute("DROP TABLE IF EXISTS payments_bank_accounts")
