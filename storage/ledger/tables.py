"""The ledger tables. Every ledger lives in the same tables, keyed by the ledger name.

Shape fixed with the filter compiler (storage/ledger/filters.py): keep these names. Columns added
for the write path are noted where they are declared."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from storage.metadata import metadata

TZ = DateTime(timezone=True)

ledgers = Table(
    "ledgers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("bucket", Text, nullable=False),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("features", JSONB, nullable=False),
    Column("added_at", TZ, nullable=False),
    Column("deleted_at", TZ, nullable=True),
    # Per-ledger counters, bumped by the last statement of every write: the row lock they take
    # serialises the writers of one ledger only for that instant and gives gapless ids and a
    # consistent hash chain.
    Column("last_transaction_id", BigInteger, nullable=False, server_default=text("0")),
    Column("last_log_id", BigInteger, nullable=False, server_default=text("0")),
    Column("last_log_hash", LargeBinary, nullable=True),
)

transactions = Table(
    "transactions",
    metadata,
    Column("ledger", Text, nullable=False),
    Column("id", BigInteger, nullable=False),
    Column("timestamp", TZ, nullable=False),
    Column("inserted_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("reverted_at", TZ, nullable=True),
    Column("reference", Text, nullable=True),
    Column("postings", JSONB, nullable=False),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("sources", ARRAY(Text), nullable=False),
    Column("destinations", ARRAY(Text), nullable=False),
    Column("template", Text, nullable=True),
    PrimaryKeyConstraint("ledger", "id"),
)
Index(
    "uq_transactions_ledger_reference",
    transactions.c.ledger,
    transactions.c.reference,
    unique=True,
    postgresql_where=transactions.c.reference.isnot(None),
)
Index("ix_transactions_ledger_timestamp", transactions.c.ledger, transactions.c.timestamp,
      transactions.c.id)
Index("ix_transactions_sources", transactions.c.sources, postgresql_using="gin")
Index("ix_transactions_destinations", transactions.c.destinations, postgresql_using="gin")
Index("ix_transactions_metadata", transactions.c.metadata, postgresql_using="gin",
      postgresql_ops={"metadata": "jsonb_path_ops"})

accounts = Table(
    "accounts",
    metadata,
    Column("ledger", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("address_array", ARRAY(Text), nullable=False),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("first_usage", TZ, nullable=False),
    Column("insertion_date", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    PrimaryKeyConstraint("ledger", "address"),
)
Index("ix_accounts_address_array", accounts.c.address_array, postgresql_using="gin")
Index("ix_accounts_metadata", accounts.c.metadata, postgresql_using="gin",
      postgresql_ops={"metadata": "jsonb_path_ops"})

accounts_volumes = Table(
    "accounts_volumes",
    metadata,
    Column("ledger", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("asset", Text, nullable=False),
    Column("input", Numeric, nullable=False),
    Column("output", Numeric, nullable=False),
    # Added for the write path: the latest effective date among this account/asset's moves.
    # A transaction dated at or after it is not back-dated, so its post-commit effective
    # volumes equal its post-commit volumes and no older move needs rewriting.
    Column("last_effective_date", TZ, nullable=True),
    PrimaryKeyConstraint("ledger", "address", "asset"),
)

moves = Table(
    "moves",
    metadata,
    Column("ledger", Text, nullable=False),
    Column("seq", BigInteger, Identity(always=False), primary_key=True),
    Column("transaction_id", BigInteger, nullable=False),
    Column("account_address", Text, nullable=False),
    Column("account_address_array", ARRAY(Text), nullable=False),
    Column("asset", Text, nullable=False),
    Column("amount", Numeric, nullable=False),
    Column("is_source", Boolean, nullable=False),
    Column("insertion_date", TZ, nullable=False),
    Column("effective_date", TZ, nullable=False),
    Column("post_commit_volumes_input", Numeric, nullable=False),
    Column("post_commit_volumes_output", Numeric, nullable=False),
    Column("post_commit_effective_volumes_input", Numeric, nullable=False),
    Column("post_commit_effective_volumes_output", Numeric, nullable=False),
)
Index("ix_moves_ledger_transaction_id", moves.c.ledger, moves.c.transaction_id)
# Effective-date order per account/asset: point-in-time effective volumes and back-dating.
Index("ix_moves_effective", moves.c.ledger, moves.c.account_address, moves.c.asset,
      moves.c.effective_date, moves.c.seq)
# Insertion order per account/asset: point-in-time volumes on insertion date.
Index("ix_moves_insertion", moves.c.ledger, moves.c.account_address, moves.c.asset,
      moves.c.insertion_date, moves.c.seq)

logs = Table(
    "logs",
    metadata,
    Column("ledger", Text, nullable=False),
    Column("id", BigInteger, nullable=False),
    Column("type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("date", TZ, nullable=False),
    Column("hash", LargeBinary, nullable=True),
    Column("idempotency_key", Text, nullable=True),
    Column("idempotency_hash", Text, nullable=True),
    PrimaryKeyConstraint("ledger", "id"),
)
Index(
    "uq_logs_ledger_idempotency_key",
    logs.c.ledger,
    logs.c.idempotency_key,
    unique=True,
    postgresql_where=logs.c.idempotency_key.isnot(None),
)
Index("ix_logs_ledger_date", logs.c.ledger, logs.c.date, logs.c.id)
