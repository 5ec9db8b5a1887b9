"""Rebuilding the index from the source tables, one chunk per transaction, resumable.

Each source (ledger transactions and accounts, payments, latest balances, bank accounts,
transfer initiations, and the outbox for AUDIT) is read in its key order after a checkpoint
stored in `search_reindex_checkpoints`; a chunk's documents and its checkpoint commit together,
so a run stopped anywhere resumes after the last chunk it committed.

A chunk holds the search consumer's offset row lock (as the dispatcher does for a batch), so no
batch of events is indexed while it writes: the chunk reads the sources as committed at that
moment and overwrites the documents, and every event not yet indexed is applied after it
(documents are written with event id 0, so no event is skipped). Events and the chunk therefore
never interleave and the index converges to the sources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events.models import Event
from domain.ledger.models import Posting, Transaction
from domain.ledger.records import event_transaction, transaction_json
from domain.payments import events as pev
from domain.payments.initiation_events import initiation_payload
from domain.payments.initiations import InitiationStatus, InitiationType, PaymentInitiation
from domain.payments.models import (
    Balance,
    BankAccount,
    BankAccountRelatedAccount,
    Payment,
    PaymentStatus,
    PaymentType,
)
from domain.search.indexing import (
    IndexChanges,
    account_key,
    audit_data,
    balance_id,
    transaction_data,
    transaction_key,
)
from domain.search.models import NO_LEDGER, Document, DocumentKey, Kind
from storage.database import Database
from storage.events.outbox_reader import lock_offset
from storage.search.consumer import CONSUMER_NAME
from storage.search.sink import PgSearchSink, dumps

Position = list[Any]


@dataclass(frozen=True)
class Source:
    name: str
    keys: int  # columns of its position
    count_sql: str
    # Rows after :p0, :p1 (the last key read; NULLs for the first chunk), :limit of them.
    chunk_sql: str
    position: Callable[[Row[Any]], Position]
    document: Callable[[Row[Any]], tuple[DocumentKey, dict[str, Any]]]


def _transaction(r: Row[Any]) -> tuple[DocumentKey, dict[str, Any]]:
    tx = Transaction(
        id=int(r.id), postings=[Posting(p["source"], p["destination"], int(p["amount"]),
                                        p["asset"]) for p in r.postings],
        metadata=dict(r.metadata), timestamp=r.timestamp, inserted_at=r.inserted_at,
        updated_at=r.updated_at, reference=r.reference, reverted_at=r.reverted_at)
    return (transaction_key(r.ledger, r.id),
            transaction_data(r.ledger, event_transaction(transaction_json(tx))))


def _account(r: Row[Any]) -> tuple[DocumentKey, dict[str, Any]]:
    return (account_key(r.ledger, r.address),
            {"address": r.address, "ledger": r.ledger, "metadata": dict(r.metadata)})


def _payment(r: Row[Any]) -> tuple[DocumentKey, dict[str, Any]]:
    payment = Payment(id=r.id, connector_id=r.connector_id, provider=r.provider,
                      reference=r.reference, created_at=r.created_at, type=PaymentType(r.type),
                      initial_amount=int(r.initial_amount), amount=int(r.amount),
                      asset=r.asset, scheme=r.scheme, status=PaymentStatus(r.status),
                      source_account_id=r.source_account_id,
                      destination_account_id=r.destination_account_id,
                      metadata=dict(r.metadata), adjustments=())
    return DocumentKey(Kind.PAYMENT, NO_LEDGER, r.id), pev.payment_payload(payment)


def _balance(r: Row[Any]) -> tuple[DocumentKey, dict[str, Any]]:
    balance = Balance(account_id=r.account_id, asset=r.asset, balance=int(r.balance),
                      created_at=r.created_at, last_updated_at=r.last_updated_at)
    key = DocumentKey(Kind.PAYMENT_BALANCE, NO_LEDGER, balance_id(r.account_id, r.asset))
    return key, {"id": key.id, **pev.balance_payload(balance, r.connector_id, r.provider)}


def _bank_account(r: Row[Any]) -> tuple[DocumentKey, dict[str, Any]]:
    related = tuple(BankAccountRelatedAccount(a["account_id"], a["connector_id"],
                                              _parse_time(a["created_at"]))
                    for a in r.related or [])
    bank = BankAccount(id=r.id, created_at=r.created_at, name=r.name,
                       account_number=r.account_number, iban=r.iban,
                       swift_bic_code=r.swift_bic_code, country=r.country,
                       metadata=dict(r.metadata), related_accounts=related)
    return DocumentKey(Kind.PAYMENT_BANK_ACCOUNT, NO_LEDGER, r.id), pev.bank_account_payload(bank)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _initiation(r: Row[Any]) -> tuple[DocumentKey, dict[str, Any]]:
    initiation = PaymentInitiation(
        id=r.id, connector_id=r.connector_id, provider=r.provider, reference=r.reference,
        created_at=r.created_at, type=InitiationType(r.type), amount=int(r.amount),
        asset=r.asset, status=InitiationStatus(r.status),
        destination_account_id=r.destination_account_id,
        source_account_id=r.source_account_id, scheduled_at=r.scheduled_at,
        description=r.description, error=r.error, metadata=dict(r.metadata))
    data = {**initiation_payload(initiation), "status": r.status}
    if r.error:
        data["error"] = r.error
    if r.related:
        data["relatedPaymentIDs"] = list(r.related)
    return DocumentKey(Kind.PAYMENT_TRANSFER_INITIATION, NO_LEDGER, r.id), data


def _audit(r: Row[Any]) -> tuple[DocumentKey, dict[str, Any]]:
    event = Event(id=r.id, app=r.app, type=r.type, envelope=r.envelope, created_at=r.created_at)
    data = audit_data(event)
    return DocumentKey(Kind.AUDIT, str(data.get("ledger") or NO_LEDGER), str(r.id)), data


def _after(columns: str, count: int) -> str:
    """`(a, b) > (:p0, :p1)`, or every row for the first chunk (`:first`)."""
    params = ", ".join(f":p{i}" for i in range(count))
    return f"(CAST(:first AS boolean) OR ({columns}) > ({params}))"


SOURCES: tuple[Source, ...] = (
    Source("ledger_transactions", 2, "SELECT count(*) FROM transactions",
           "SELECT ledger, id, timestamp, inserted_at, updated_at, reverted_at, reference, "
           "postings, metadata FROM transactions WHERE "
           + _after("ledger, id", 2)
           + " ORDER BY ledger, id LIMIT :limit",
           lambda r: [r.ledger, int(r.id)], _transaction),
    Source("ledger_accounts", 2, "SELECT count(*) FROM accounts",
           "SELECT ledger, address, metadata FROM accounts WHERE " + _after("ledger, address", 2)
           + " ORDER BY ledger, address LIMIT :limit",
           lambda r: [r.ledger, r.address], _account),
    Source("payments", 1, "SELECT count(*) FROM payments_payments",
           "SELECT * FROM payments_payments WHERE " + _after("id", 1)
           + " ORDER BY id LIMIT :limit", lambda r: [r.id], _payment),
    Source("payments_balances", 2,
           "SELECT count(*) FROM (SELECT DISTINCT account_id, asset FROM payments_balances) b",
           "SELECT DISTINCT ON (b.account_id, b.asset) b.*, a.provider FROM payments_balances b "
           "JOIN payments_accounts a ON a.id = b.account_id WHERE "
           + _after("b.account_id, b.asset", 2)
           + " ORDER BY b.account_id, b.asset, b.created_at DESC LIMIT :limit",
           lambda r: [r.account_id, r.asset], _balance),
    Source("payments_bank_accounts", 1, "SELECT count(*) FROM payments_bank_accounts",
           "SELECT b.*, (SELECT jsonb_agg(jsonb_build_object('account_id', r.account_id, "
           "'connector_id', r.connector_id, 'created_at', r.created_at) "
           "ORDER BY r.created_at, r.account_id) FROM payments_bank_account_related_accounts r "
           "WHERE r.bank_account_id = b.id) AS related FROM payments_bank_accounts b WHERE "
           + _after("b.id", 1) + " ORDER BY b.id LIMIT :limit",
           lambda r: [r.id], _bank_account),
    Source("payments_initiations", 1, "SELECT count(*) FROM payments_initiations",
           "SELECT i.*, ARRAY(SELECT r.payment_id FROM payments_initiation_related_payments r "
           "WHERE r.initiation_id = i.id ORDER BY r.created_at, r.payment_id) AS related "
           "FROM payments_initiations i WHERE " + _after("i.id", 1)
           + " ORDER BY i.id LIMIT :limit", lambda r: [r.id], _initiation),
    Source("audit", 1, "SELECT count(*) FROM events_outbox",
           "SELECT id, app, type, envelope, created_at FROM events_outbox WHERE "
           + _after("id", 1)
           + " ORDER BY id LIMIT :limit", lambda r: [int(r.id)], _audit),
)

_CHECKPOINT = text("SELECT position, done FROM search_reindex_checkpoints WHERE source = :s")
_SAVE = text("""
INSERT INTO search_reindex_checkpoints (source, position, done, updated_at)
VALUES (:s, CAST(:position AS jsonb), :done, now())
ON CONFLICT (source) DO UPDATE SET position = EXCLUDED.position, done = EXCLUDED.done,
                                   updated_at = now()
""")


@dataclass(frozen=True)
class Checkpoint:
    position: Position
    done: bool


async def checkpoint(conn: AsyncConnection, source: Source) -> Checkpoint:
    row = (await conn.execute(_CHECKPOINT, {"s": source.name})).first()
    return Checkpoint(list(row.position), bool(row.done)) if row else Checkpoint([], False)


async def count(database: Database, source: Source) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(source.count_sql))).scalar() or 0)


async def forget_checkpoints(database: Database) -> None:
    async with database.transaction() as conn:
        await conn.execute(text("DELETE FROM search_reindex_checkpoints"))


async def reindex_chunk(database: Database, source: Source, limit: int) -> int | None:
    """Indexes the next chunk of `source` and moves its checkpoint past it; how many documents
    it wrote, or None when the source was already done."""
    async with database.transaction() as conn:
        await lock_offset(conn, CONSUMER_NAME)
        at = await checkpoint(conn, source)
        if at.done:
            return None
        params: dict[str, Any] = {"limit": limit}
        params["first"] = not at.position
        params.update({f"p{i}": v for i, v in enumerate(at.position or [None] * source.keys)})
        rows = (await conn.execute(text(source.chunk_sql), params)).all()
        changes = IndexChanges()
        for r in rows:
            key, data = source.document(r)
            changes.documents[key] = Document(key, data, 0)
        await PgSearchSink().write(changes, conn, overwrite=True)
        position = source.position(rows[-1]) if rows else at.position
        await conn.execute(_SAVE, {"s": source.name, "position": dumps(position),
                                   "done": len(rows) < limit})
        return len(rows)
