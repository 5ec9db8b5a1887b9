"""Auth: OAuth2 clients and their hashed secrets, users, and the RSA keys that sign tokens.

Only a hash of each client secret is stored. Signing keys are kept (private part included) so
every API replica and every restart signs and verifies with the same key; the partial unique
index allows at most one active key, so concurrent first starts cannot both create one.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_clients",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("trusted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("redirect_uris", postgresql.ARRAY(sa.Text), nullable=False,
                  server_default="{}"),
        sa.Column("post_logout_redirect_uris", postgresql.ARRAY(sa.Text), nullable=False,
                  server_default="{}"),
        sa.Column("scopes", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("metadata", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "auth_client_secrets",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("client_id", sa.Text,
                  sa.ForeignKey("auth_clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("last_digits", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("metadata", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("ix_auth_client_secrets_client_id", "auth_client_secrets", ["client_id"])
    op.create_table(
        "auth_users",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, nullable=False, unique=True),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "auth_signing_keys",
        sa.Column("kid", sa.Text, primary_key=True),
        sa.Column("private_key_pem", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("uq_auth_signing_keys_one_active", "auth_signing_keys", ["active"],
                    unique=True, postgresql_where=sa.text("active"))


def downgrade() -> None:
    op.drop_table("auth_signing_keys")
    op.drop_table("auth_users")
    op.drop_table("auth_client_secrets")
    op.drop_table("auth_clients")
