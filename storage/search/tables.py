"""Table definitions mirroring migration 0014 (the migration is the source of truth; the
`search_tsv` column is left out: only the sink's raw SQL writes it and raw SQL queries it)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from storage.metadata import metadata

search_documents = Table(
    "search_documents", metadata,
    Column("kind", Text, primary_key=True),
    Column("ledger", Text, primary_key=True),
    Column("doc_id", Text, primary_key=True),
    Column("data", JSONB, nullable=False),
    Column("indexed", JSONB, nullable=False),
    Column("sort_value", JSONB, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("indexed_at", DateTime(timezone=True), nullable=False),
)

search_reindex_checkpoints = Table(
    "search_reindex_checkpoints", metadata,
    Column("source", Text, primary_key=True),
    Column("position", JSONB, nullable=False),
    Column("done", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
