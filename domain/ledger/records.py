"""The JSON documents a write persists: log data and event payloads. They are part of the
contract (clients read logs and events, and the hash chain covers log data), so they are built
in one place."""

from __future__ import annotations

from typing import Any

from domain.ledger.hashing import PENDING_ID, format_time
from domain.ledger.models import Metadata, Posting, Transaction


def postings_json(postings: list[Posting]) -> list[dict[str, Any]]:
    return [p.to_json() for p in postings]


def transaction_json(tx: Transaction, *, pending_id: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "postings": postings_json(tx.postings),
        "metadata": tx.metadata,
        "timestamp": format_time(tx.timestamp),
        "insertedAt": format_time(tx.inserted_at),
        "updatedAt": format_time(tx.updated_at),
        "id": PENDING_ID if pending_id else tx.id,
        "reverted": tx.reverted,
    }
    if tx.reference:
        doc["reference"] = tx.reference
    if tx.reverted_at is not None:
        doc["revertedAt"] = format_time(tx.reverted_at)
    if tx.template:
        # Outside the hash memento (hashing.transaction_memento): the chain is unchanged, and
        # the log still says which template wrote the transaction.
        doc["template"] = tx.template
    return doc


def event_transaction(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("postings", "metadata", "timestamp", "reference", "id", "reverted")
    return {k: doc[k] for k in keys if k in doc}


def new_transaction_log(doc: dict[str, Any], account_metadata: dict[str, Metadata]
                        ) -> dict[str, Any]:
    return {"transaction": doc, "accountMetadata": account_metadata}


def transaction_from_json(doc: dict[str, Any]) -> Transaction:
    from domain.ledger.query import parse_datetime

    return Transaction(
        id=int(doc["id"]),
        postings=[Posting(p["source"], p["destination"], int(p["amount"]), p["asset"])
                  for p in doc["postings"]],
        metadata=dict(doc.get("metadata") or {}),
        timestamp=parse_datetime(doc["timestamp"]),
        inserted_at=parse_datetime(doc.get("insertedAt") or doc["timestamp"]),
        updated_at=parse_datetime(doc.get("updatedAt") or doc.get("insertedAt")
                                  or doc["timestamp"]),
        reference=doc.get("reference") or None,
        reverted_at=parse_datetime(doc["revertedAt"]) if doc.get("revertedAt") else None,
        template=doc.get("template") or None,
    )
