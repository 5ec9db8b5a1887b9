"""Ledger schemas and v1 mappings in PostgreSQL. A schema insert appends its INSERTED_SCHEMA
log in the same statement that takes the ledger row (counters and hash chain), exactly as the
metadata writes of storage/ledger/writes.py do."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import Column, DateTime, PrimaryKeyConstraint, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB

from domain.ledger.errors import LedgerNotFoundError, SchemaAlreadyExistsError
from domain.ledger.hashing import format_time, log_memento
from domain.ledger.ports import LogDraft
from domain.ledger.schemas import LedgerSchema
from storage.ledger.jsonutil import dumps, loads
from storage.metadata import metadata

ledger_schemas = Table(
    "ledger_schemas",
    metadata,
    Column("ledger", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("chart", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("transactions", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("queries", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    PrimaryKeyConstraint("ledger", "version"),
)

ledger_v1_mappings = Table(
    "ledger_v1_mappings",
    metadata,
    Column("ledger", Text, primary_key=True),
    Column("mapping", JSONB, nullable=False),
)

INSERT_SCHEMA_SQL = """
WITH l AS (
    UPDATE ledgers
    SET last_log_id = last_log_id + 1,
        last_log_hash = ledgerflow_log_hash(last_log_hash, $7::text)
    WHERE name = $1
    RETURNING last_log_id AS log_id, last_log_hash AS hash
),
s AS (
    INSERT INTO ledger_schemas (ledger, version, created_at, chart, transactions, queries)
    SELECT $1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb FROM l
),
lg AS (
    INSERT INTO logs (ledger, id, type, data, date, hash, idempotency_key, idempotency_hash)
    SELECT $1, l.log_id, 'INSERTED_SCHEMA', $8::jsonb, $3, l.hash, $9, $10 FROM l
)
SELECT l.log_id FROM l
"""


def schema_from_row(row: Any) -> LedgerSchema:
    def doc(value: Any) -> Any:
        return loads(value) if isinstance(value, str) else value

    return LedgerSchema(version=row["version"], created_at=row["created_at"],
                        chart=doc(row["chart"]), transactions=doc(row["transactions"]),
                        queries=doc(row["queries"]))


async def insert_schema(conn: asyncpg.Connection, ledger: str, schema: LedgerSchema,
                        log: LogDraft) -> int:
    memento = log_memento(log.type, log.data, format_time(log.date), log.idempotency_key)
    try:
        rows = await conn.fetch(
            INSERT_SCHEMA_SQL, ledger, schema.version, log.date, dumps(schema.chart),
            dumps(schema.transactions), dumps(schema.queries), memento, dumps(log.data),
            log.idempotency_key, log.idempotency_hash)
    except asyncpg.UniqueViolationError as exc:
        if "idempotency" in (exc.constraint_name or ""):
            from domain.errors import ConflictError

            raise ConflictError("a write with this idempotency key already exists") from exc
        raise SchemaAlreadyExistsError(schema.version) from exc
    if not rows:
        raise LedgerNotFoundError(ledger)
    return int(rows[0]["log_id"])
