"""The log hash chain and the idempotency hash.

Log hash (what a client recomputes to verify a ledger's logs, in id order):

    hash(log) = SHA-256( [ '"' + base64(hash(previous log)) + '"' + "\\n" ]   # absent for log 1
                         + memento(log) + "\\n" )

    memento(log) = compact JSON, keys sorted, non-ASCII kept as UTF-8, of
        {"type", "data": reduced(data), "date", "idempotencyKey": key or "", "id": 0, "hash": null}

`reduced(data)` keeps, of each transaction, only postings, metadata, timestamp, reference (or
""), id and reverted; other log types keep their data as is. Dates are RFC 3339 UTC with
microseconds, trailing zeros trimmed (the rendering of the API). The database computes the same
bytes (function ledgerflow_log_hash) in the statement that takes the ledger's counters, so the
chain follows the id order exactly.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

# Stands for the id of the transaction being written, unknown until the database assigns it.
# `"id":-1` cannot occur anywhere else in a memento: ids are >= 1, amounts >= 0, and metadata
# values are JSON strings (a quote inside a string is escaped).
PENDING_ID = -1
_PENDING_MARK = f'"id":{PENDING_ID}'


@lru_cache(maxsize=4096)
def format_time(value: datetime) -> str:
    """The Formance time format: UTC (a naive value is taken as UTC), microseconds with trailing
    zeros trimmed, `Z` suffix. Cached: a write formats the same instant (its timestamp, insertion
    and update dates, log date) about seven times, and isoformat alone costs ~3 us."""
    tz = value.tzinfo
    if tz is not None and tz is not UTC:
        value = value.astimezone(UTC)
    text = value.isoformat(timespec="microseconds")
    if tz is not None:
        text = text[:-6]  # "+00:00"
    return (text[:-7] if value.microsecond == 0 else text.rstrip("0")) + "Z"


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys and UTF-8 kept. orjson produces the same bytes as the
    stdlib's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` (escapes
    included; tests/unit compares them) in a fifth of the time; the stdlib remains for what
    orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def transaction_memento(tx: dict[str, Any]) -> dict[str, Any]:
    return {
        "postings": tx["postings"],
        "metadata": tx.get("metadata") or {},
        "timestamp": tx["timestamp"],
        "reference": tx.get("reference") or "",
        "id": tx["id"],
        "reverted": bool(tx.get("reverted", False)),
    }


def reduced_data(log_type: str, data: dict[str, Any]) -> dict[str, Any]:
    if log_type == "NEW_TRANSACTION":
        return {"transaction": transaction_memento(data["transaction"]),
                "accountMetadata": data.get("accountMetadata") or {}}
    if log_type == "REVERTED_TRANSACTION":
        return {"revertedTransaction": transaction_memento(data["revertedTransaction"]),
                "transaction": transaction_memento(data["transaction"])}
    return data


def log_memento(log_type: str, data: dict[str, Any], date: str,
                idempotency_key: str | None) -> str:
    return canonical_json({
        "type": log_type,
        "data": reduced_data(log_type, data),
        "date": date,
        "idempotencyKey": idempotency_key or "",
        "id": 0,
        "hash": None,
    })


def split_pending_id(memento: str) -> tuple[str, str]:
    """(prefix, suffix) such that prefix + str(id) + suffix is the memento once the transaction
    id is known; the database splices the id in."""
    before, mark, after = memento.partition(_PENDING_MARK)
    if not mark or _PENDING_MARK in after:
        raise ValueError("memento must contain the pending transaction id exactly once")
    return before + '"id":', after


def chain_hash(previous: bytes | None, memento: str) -> bytes:
    digest = hashlib.sha256()
    if previous is not None:
        digest.update(b'"' + base64.b64encode(previous) + b'"\n')
    digest.update(memento.encode() + b"\n")
    return digest.digest()


def verify_chain(logs: list[dict[str, Any]]) -> int | None:
    """Checks API-rendered logs (ascending ids, `hash` in base64). Returns the id of the first
    log whose hash does not match, or None when the chain is intact."""
    previous: bytes | None = None
    for log in logs:
        memento = log_memento(log["type"], log["data"], log["date"], log.get("idempotencyKey"))
        expected = chain_hash(previous, memento)
        if base64.b64encode(expected).decode() != log["hash"]:
            return int(log["id"])
        previous = expected
    return None


def idempotency_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a write's input, base64url: same key + other input is
    refused, same key + same input replays."""
    digest = hashlib.sha256(canonical_json(payload).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
