"""Log import: the NDJSON a `logs/export` produced, checked before anything is written (ids
continue the ledger, the hash chain recomputes), then re-applied through the ordinary write
path with the original dates, so the rebuilt ledger is identical (ids, volumes, hashes)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.ledger.errors import ImportLogsError
from domain.ledger.hashing import PENDING_ID, chain_hash, format_time, log_memento
from domain.ledger.models import LogType, Metadata, TargetType
from domain.ledger.ports import EventDraft, LogDraft, NewTransaction
from domain.ledger.postings import BalanceCheck, plan_postings
from domain.ledger.query import parse_datetime
from domain.ledger.records import event_transaction, transaction_from_json

INSERTED_SCHEMA = "INSERTED_SCHEMA"
_TYPES = {*(t.value for t in LogType), INSERTED_SCHEMA}


@dataclass(frozen=True, slots=True)
class ImportedLog:
    id: int
    type: str
    data: dict[str, Any]
    date: datetime
    hash: bytes | None
    idempotency_key: str | None
    idempotency_hash: str | None


def parse_ndjson(lines: Iterable[bytes | str]) -> list[ImportedLog]:
    out: list[ImportedLog] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.decode() if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise ImportLogsError(f"line {number}: not JSON ({exc})") from None
        out.append(_log(doc, number))
    return out


def _log(doc: object, number: int) -> ImportedLog:
    where = f"line {number}"
    if not isinstance(doc, dict):
        raise ImportLogsError(f"{where}: a log must be a JSON object")
    log_id, log_type, data = doc.get("id"), doc.get("type"), doc.get("data")
    if isinstance(log_id, bool) or not isinstance(log_id, int) or log_id < 1:
        raise ImportLogsError(f"{where}: id must be a positive integer")
    if log_type not in _TYPES:
        raise ImportLogsError(f"{where}: unknown log type {log_type!r}")
    if not isinstance(data, dict):
        raise ImportLogsError(f"{where}: data must be an object")
    try:
        date = parse_datetime(doc.get("date"), context=f"{where} date")
        digest = base64.b64decode(doc["hash"], validate=True) if doc.get("hash") else None
    except (ValueError, binascii.Error, KeyError) as exc:
        raise ImportLogsError(f"{where}: {exc}") from None
    except Exception as exc:  # the domain ValidationError of parse_datetime
        raise ImportLogsError(f"{where}: {exc}") from None
    ik, ih = doc.get("idempotencyKey") or None, doc.get("idempotencyHash") or None
    if not isinstance(ik, str | None) or not isinstance(ih, str | None):
        raise ImportLogsError(f"{where}: idempotencyKey and idempotencyHash must be strings")
    return ImportedLog(log_id, str(log_type), data, date, digest, ik, ih)


def verify(logs: list[ImportedLog], last_id: int, last_hash: bytes | None) -> None:
    """Ids must continue the ledger one by one; each provided hash must be the one the chain
    gives (a log without hash is accepted: the ledger computes it)."""
    previous, expected_id = last_hash, last_id + 1
    for log in logs:
        if log.id != expected_id:
            raise ImportLogsError(f"log id {log.id} does not continue the ledger: expected "
                                  f"{expected_id}")
        memento = log_memento(log.type, log.data, format_time(log.date), log.idempotency_key)
        digest = chain_hash(previous, memento)
        if log.hash is not None and log.hash != digest:
            raise ImportLogsError(f"log {log.id}: hash mismatch (the chain gives "
                                  f"{base64.b64encode(digest).decode()})")
        previous, expected_id = digest, expected_id + 1


def draft(log: ImportedLog, data: dict[str, Any],
          pending: list[list[str]] | None = None) -> LogDraft:
    return LogDraft(log.type, data, log.date, log.idempotency_key, log.idempotency_hash,
                    pending or [])


def new_transaction(ledger: str, log: ImportedLog) -> tuple[NewTransaction, int]:
    """The write that re-creates the transaction of a NEW_TRANSACTION or REVERTED_TRANSACTION
    log, and the transaction id it must get."""
    try:
        doc = dict(log.data["transaction"])
        tx = transaction_from_json(doc)
        reverted = (transaction_from_json(log.data["revertedTransaction"])
                    if log.type == LogType.REVERTED_TRANSACTION else None)
        account_metadata: dict[str, Metadata] = {
            a: dict(m) for a, m in (log.data.get("accountMetadata") or {}).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportLogsError(f"log {log.id}: malformed transaction ({exc})") from None
    doc["id"] = PENDING_ID
    if reverted is None:
        data = {"transaction": doc, "accountMetadata": account_metadata}
        event = EventDraft("COMMITTED_TRANSACTIONS",
                           {"ledger": ledger, "transactions": [event_transaction(doc)],
                            "accountMetadata": account_metadata},
                           [["transactions", "0", "id"]])
    else:
        reverted_doc = log.data["revertedTransaction"]
        data = {"revertedTransaction": reverted_doc, "transaction": doc}
        event = EventDraft("REVERTED_TRANSACTION",
                           {"ledger": ledger,
                            "revertedTransaction": event_transaction(reverted_doc),
                            "revertTransaction": event_transaction(doc)},
                           [["revertTransaction", "id"]])
    # Balances were checked when the log was first written: re-applying it never refuses.
    new = NewTransaction(
        postings=tx.postings, plan=plan_postings(tx.postings, BalanceCheck.NONE),
        metadata=tx.metadata, account_metadata=account_metadata, timestamp=tx.timestamp,
        inserted_at=log.date, reference=tx.reference,
        log=draft(log, data, [["transaction", "id"]]), event=event,
        reverts=reverted.id if reverted is not None else None, template=tx.template,
    )
    return new, tx.id


def metadata_target(log: ImportedLog) -> tuple[TargetType, str | int]:
    try:
        target_type = TargetType(log.data["targetType"])
        target = log.data["targetId"]
        return target_type, int(target) if target_type is TargetType.TRANSACTION else str(target)
    except (KeyError, ValueError, TypeError) as exc:
        raise ImportLogsError(f"log {log.id}: malformed metadata target ({exc})") from None
