"""The PostgreSQL SearchSink: loads the documents a batch touches and writes the batch's
documents, each in one statement, on the caller's connection (the dispatcher's transaction, so
the documents commit with the consumer's offset)."""

from __future__ import annotations

import json
from collections.abc import Collection
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.search.documents import free_text, indexed_fields, sort_value, words
from domain.search.indexing import PAYMENT_KINDS, IndexChanges
from domain.search.models import Document, DocumentKey, Kind

_LOAD = text("""
SELECT d.kind, d.ledger, d.doc_id, d.data, d.event_id
FROM unnest(CAST(:kinds AS text[]), CAST(:ledgers AS text[]), CAST(:ids AS text[]))
     AS k(kind, ledger, doc_id)
JOIN search_documents d USING (kind, ledger, doc_id)
""")
_UPSERT = """
INSERT INTO search_documents
    (kind, ledger, doc_id, data, indexed, sort_value, search_text, search_tsv, event_id,
     indexed_at)
SELECT u.kind, u.ledger, u.doc_id, CAST(u.data AS jsonb), CAST(u.indexed AS jsonb),
       CAST(u.sort_value AS jsonb), u.search_text,
       array_to_tsvector(string_to_array(u.words, ' ')), u.event_id, now()
FROM unnest(CAST(:kinds AS text[]), CAST(:ledgers AS text[]), CAST(:ids AS text[]),
            CAST(:data AS text[]), CAST(:indexed AS text[]), CAST(:sort_values AS text[]),
            CAST(:texts AS text[]), CAST(:words AS text[]), CAST(:event_ids AS bigint[]))
     AS u(kind, ledger, doc_id, data, indexed, sort_value, search_text, words, event_id)
ON CONFLICT (kind, ledger, doc_id) DO UPDATE SET
    data = EXCLUDED.data, indexed = EXCLUDED.indexed, sort_value = EXCLUDED.sort_value,
    search_text = EXCLUDED.search_text, search_tsv = EXCLUDED.search_tsv,
    event_id = EXCLUDED.event_id, indexed_at = EXCLUDED.indexed_at
"""
# A document already written from a later event keeps that state.
_UPSERT_GUARDED = text(_UPSERT + "WHERE search_documents.event_id <= EXCLUDED.event_id")
_UPSERT_ANY = text(_UPSERT)
_DROP_CONNECTORS = text("""
DELETE FROM search_documents
WHERE ledger = '' AND data->>'connectorID' = ANY(CAST(:connectors AS text[]))
  AND kind = ANY(CAST(:kinds AS text[]))
""")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def dumps(value: Any) -> str:
    # orjson is several times faster on the indexer's hot path; it refuses integers beyond 64
    # bits (amounts) and Decimals, which the stdlib writes exactly.
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default)


class PgSearchSink:
    async def load(self, keys: Collection[DocumentKey], transaction: AsyncConnection
                   ) -> dict[DocumentKey, Document]:
        if not keys:
            return {}
        keys = list(keys)
        rows = (await transaction.execute(_LOAD, {
            "kinds": [k.kind.value for k in keys], "ledgers": [k.ledger for k in keys],
            "ids": [k.id for k in keys],
        })).all()
        found = {}
        for r in rows:
            key = DocumentKey(Kind(r.kind), r.ledger, r.doc_id)
            found[key] = Document(key, r.data, int(r.event_id))
        return found

    async def write(self, changes: IndexChanges, transaction: AsyncConnection, *,
                    overwrite: bool = False) -> None:
        """Writes every document of `changes`; one written from a later event is kept unless
        `overwrite` (the reindex, which holds the consumer's lock while it writes)."""
        docs = list(changes.documents.values())
        if docs:
            columns: dict[str, list[Any]] = {k: [] for k in (
                "kinds", "ledgers", "ids", "data", "indexed", "sort_values", "texts", "words",
                "event_ids")}
            for doc in docs:
                fields = indexed_fields(doc)
                columns["kinds"].append(doc.key.kind.value)
                columns["ledgers"].append(doc.key.ledger)
                columns["ids"].append(doc.key.id)
                columns["data"].append(dumps(doc.data))
                columns["indexed"].append(dumps(fields))
                columns["sort_values"].append(dumps(sort_value(doc, fields)))
                text_of = free_text(doc)
                columns["texts"].append(text_of)
                # Words hold no whitespace: one string per document, split in SQL (unnest
                # cannot carry an array per row).
                columns["words"].append(" ".join(words(text_of)))
                columns["event_ids"].append(doc.event_id)
            await transaction.execute(_UPSERT_ANY if overwrite else _UPSERT_GUARDED, columns)
        if changes.dropped_connectors:
            await transaction.execute(_DROP_CONNECTORS, {
                "connectors": changes.dropped_connectors,
                "kinds": [k.value for k in PAYMENT_KINDS],
            })
