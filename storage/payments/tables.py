"""Table definitions mirroring migration 0007 (the migration is the source of truth). Amounts
are NUMERIC: provider amounts in minor units may exceed 64 bits."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

from storage.metadata import metadata

payments_connectors = Table(
    "payments_connectors", metadata,
    Column("id", Text, primary_key=True),
    Column("reference", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("config", JSONB, nullable=False),
    Column("scheduled_for_deletion", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

payments_accounts = Table(
    "payments_accounts", metadata,
    Column("id", Text, primary_key=True),
    Column("connector_id", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("type", Text, nullable=False),
    Column("name", Text),
    Column("default_asset", Text),
    Column("metadata", JSONB, nullable=False),
    Column("raw", JSONB, nullable=False),
)

payments_balances = Table(
    "payments_balances", metadata,
    Column("account_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("asset", Text, nullable=False),
    Column("balance", Numeric, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("account_id", "asset", "created_at"),
)

payments_payments = Table(
    "payments_payments", metadata,
    Column("id", Text, primary_key=True),
    Column("connector_id", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("initial_amount", Numeric, nullable=False),
    Column("amount", Numeric, nullable=False),
    Column("asset", Text, nullable=False),
    Column("scheme", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("source_account_id", Text),
    Column("destination_account_id", Text),
    Column("metadata", JSONB, nullable=False),
    # The time of the adjustment the status and amount come from.
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

payments_adjustments = Table(
    "payments_adjustments", metadata,
    Column("id", Text, primary_key=True),
    Column("payment_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("amount", Numeric),
    Column("asset", Text),
    Column("metadata", JSONB, nullable=False),
    Column("raw", JSONB, nullable=False),
)

payments_states = Table(
    "payments_states", metadata,
    Column("connector_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("state", JSONB, nullable=False),
    PrimaryKeyConstraint("connector_id", "key"),
)

payments_schedules = Table(
    "payments_schedules", metadata,
    Column("id", Text, primary_key=True),
    Column("connector_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("paused_at", DateTime(timezone=True)),
    Column("paused_reason", Text),
)

payments_instances = Table(
    "payments_instances", metadata,
    Column("id", Text, primary_key=True),
    Column("schedule_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("terminated", Boolean, nullable=False),
    Column("terminated_at", DateTime(timezone=True)),
    Column("error", Text),
)

payments_tasks = Table(
    "payments_tasks", metadata,
    Column("id", Text, primary_key=True),
    Column("connector_id", Text),
    Column("status", Text, nullable=False),
    Column("created_object_id", Text),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

payments_pools = Table(
    "payments_pools", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("query", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

payments_pool_accounts = Table(
    "payments_pool_accounts", metadata,
    Column("pool_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    PrimaryKeyConstraint("pool_id", "account_id"),
)

payments_bank_accounts = Table(
    "payments_bank_accounts", metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("account_number", Text),
    Column("iban", Text),
    Column("swift_bic_code", Text),
    Column("country", Text),
    Column("metadata", JSONB, nullable=False),
)

payments_bank_account_related_accounts = Table(
    "payments_bank_account_related_accounts", metadata,
    Column("bank_account_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("bank_account_id", "account_id"),
)

# --- payment initiations (migration 0011) ------------------------------------------------------

payments_initiations = Table(
    "payments_initiations", metadata,
    Column("id", Text, primary_key=True),
    Column("connector_id", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("scheduled_at", DateTime(timezone=True)),
    Column("description", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("amount", Numeric, nullable=False),
    Column("asset", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("source_account_id", Text),
    Column("destination_account_id", Text),
    Column("metadata", JSONB, nullable=False),
)

payments_initiation_adjustments = Table(
    "payments_initiation_adjustments", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("id", Text, nullable=False, unique=True),
    Column("initiation_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("amount", Numeric),
    Column("asset", Text),
    Column("error", Text),
    Column("metadata", JSONB, nullable=False),
)

payments_initiation_related_payments = Table(
    "payments_initiation_related_payments", metadata,
    Column("initiation_id", Text, nullable=False),
    Column("payment_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("initiation_id", "payment_id"),
)

payments_initiation_reversals = Table(
    "payments_initiation_reversals", metadata,
    Column("id", Text, primary_key=True),
    Column("initiation_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("description", Text, nullable=False),
    Column("amount", Numeric, nullable=False),
    Column("asset", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("metadata", JSONB, nullable=False),
)

payments_initiation_sends = Table(
    "payments_initiation_sends", metadata,
    Column("initiation_id", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("payment_id", Text),
    PrimaryKeyConstraint("initiation_id", "attempt"),
)

payments_send_slots = Table(
    "payments_send_slots", metadata,
    Column("connector_id", Text, primary_key=True),
    Column("next_at", DateTime(timezone=True), nullable=False),
)

# --- payment service users and open banking (migration 0011) -----------------------------------

payments_psus = Table(
    "payments_psus", metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("contact_details", JSONB, nullable=False),
    Column("address", JSONB, nullable=False),
    Column("metadata", JSONB, nullable=False),
)

payments_psu_bank_accounts = Table(
    "payments_psu_bank_accounts", metadata,
    Column("psu_id", Text, nullable=False),
    Column("bank_account_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("psu_id", "bank_account_id"),
)

payments_psu_connectors = Table(
    "payments_psu_connectors", metadata,
    Column("psu_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("psu_id", "connector_id"),
)

payments_open_banking_connections = Table(
    "payments_open_banking_connections", metadata,
    Column("id", Text, primary_key=True),
    Column("psu_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("data_updated_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("error", Text),
    Column("metadata", JSONB, nullable=False),
)

payments_link_attempts = Table(
    "payments_link_attempts", metadata,
    Column("id", Text, primary_key=True),
    Column("psu_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("connection_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("client_redirect_url", Text, nullable=False),
    Column("link", Text),
    Column("error", Text),
)

# --- orders and conversions (migration 0015) ---------------------------------------------------

payments_orders = Table(
    "payments_orders", metadata,
    Column("id", Text, primary_key=True),
    Column("connector_id", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("client_order_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The time of the adjustment the order's state comes from.
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("direction", Text, nullable=False),
    Column("source_asset", Text, nullable=False),
    Column("destination_asset", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("base_quantity_ordered", Numeric, nullable=False),
    Column("base_quantity_filled", Numeric),
    Column("limit_price", Numeric),
    Column("stop_price", Numeric),
    Column("time_in_force", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("fee", Numeric),
    Column("fee_asset", Text),
    Column("average_fill_price", Numeric),
    Column("quote_amount", Numeric),
    Column("quote_asset", Text),
    Column("price_asset", Text),
    Column("source_account_id", Text),
    Column("destination_account_id", Text),
    Column("error", Text),
    Column("metadata", JSONB, nullable=False),
)

payments_order_adjustments = Table(
    "payments_order_adjustments", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("id", Text, nullable=False, unique=True),
    Column("order_id", Text, nullable=False),
    Column("connector_id", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("base_quantity_filled", Numeric),
    Column("fee", Numeric),
    Column("fee_asset", Text),
    Column("metadata", JSONB, nullable=False),
    Column("raw", JSONB, nullable=False),
)

payments_conversions = Table(
    "payments_conversions", metadata,
    Column("id", Text, primary_key=True),
    Column("connector_id", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("source_asset", Text, nullable=False),
    Column("destination_asset", Text, nullable=False),
    Column("source_amount", Numeric, nullable=False),
    Column("destination_amount", Numeric),
    Column("fee", Numeric),
    Column("fee_asset", Text),
    Column("status", Text, nullable=False),
    Column("source_account_id", Text),
    Column("destination_account_id", Text),
    Column("error", Text),
    Column("metadata", JSONB, nullable=False),
    Column("raw", JSONB, nullable=False),
)
