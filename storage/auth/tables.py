"""Table definitions mirroring migration 0004 (the migration is the source of truth)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from storage.metadata import metadata

auth_clients = Table(
    "auth_clients",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("public", Boolean, nullable=False),
    Column("trusted", Boolean, nullable=False),
    Column("redirect_uris", ARRAY(Text), nullable=False),
    Column("post_logout_redirect_uris", ARRAY(Text), nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

auth_client_secrets = Table(
    "auth_client_secrets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("client_id", Text, ForeignKey("auth_clients.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("last_digits", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

auth_users = Table(
    "auth_users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("subject", Text, nullable=False, unique=True),
    Column("email", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

auth_signing_keys = Table(
    "auth_signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("private_key_pem", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
