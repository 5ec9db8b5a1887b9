"""The log hash chain a client verifies, and the idempotency hash."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime
from typing import Any

from domain.ledger.hashing import (
    chain_hash,
    format_time,
    idempotency_hash,
    log_memento,
    verify_chain,
)


def _tx(tx_id: int, amount: int) -> dict[str, Any]:
    return {"id": tx_id, "postings": [{"source": "world", "destination": "a", "amount": amount,
                                       "asset": "USD"}],
            "metadata": {"k": "v"}, "timestamp": "2024-01-01T00:00:00Z", "reverted": False,
            "insertedAt": "2024-01-01T00:00:00Z"}


def build_chain() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"id": 1, "type": "NEW_TRANSACTION", "date": "2024-01-01T00:00:00.5Z",
         "data": {"transaction": _tx(1, 100), "accountMetadata": {}}},
        {"id": 2, "type": "SET_METADATA", "date": "2024-01-01T00:00:01Z",
         "idempotencyKey": "ik-1",
         "data": {"targetType": "ACCOUNT", "targetId": "a", "metadata": {"x": "é"}}},
        {"id": 3, "type": "REVERTED_TRANSACTION", "date": "2024-01-01T00:00:02Z",
         "data": {"revertedTransaction": {**_tx(1, 100), "reverted": True},
                  "transaction": _tx(2, 100)}},
        {"id": 4, "type": "DELETE_METADATA", "date": "2024-01-01T00:00:03Z",
         "data": {"targetType": "TRANSACTION", "targetId": 1, "key": "k"}},
    ]
    previous: bytes | None = None
    for entry in entries:
        memento = log_memento(entry["type"], entry["data"], entry["date"],
                              entry.get("idempotencyKey"))
        previous = chain_hash(previous, memento)
        entry["hash"] = base64.b64encode(previous).decode()
    return entries


def test_a_real_chain_verifies() -> None:
    assert verify_chain(build_chain()) is None
    assert verify_chain([]) is None


def test_the_first_tampered_log_is_named() -> None:
    for mutate, bad_id in [
        (lambda c: c[0]["data"]["transaction"]["postings"][0].update(amount=101), 1),
        (lambda c: c[1]["data"]["metadata"].update(x="e"), 2),
        (lambda c: c[1].update(idempotencyKey="other"), 2),
        (lambda c: c[2].update(date="2024-01-01T00:00:02.1Z"), 3),
        (lambda c: c[3]["data"].update(key="other"), 4),
        (lambda c: c[3].update(hash=c[2]["hash"]), 4),
    ]:
        chain = copy.deepcopy(build_chain())
        mutate(chain)
        assert verify_chain(chain) == bad_id


def test_a_removed_log_breaks_the_chain() -> None:
    chain = build_chain()
    del chain[1]
    assert verify_chain(chain) == 3


def test_fields_outside_the_memento_do_not_count() -> None:
    # insertedAt and volumes are not part of a transaction's memento.
    chain = build_chain()
    chain[0]["data"]["transaction"]["insertedAt"] = "2030-01-01T00:00:00Z"
    assert verify_chain(chain) is None


def test_time_format_is_microseconds_trimmed() -> None:
    assert format_time(datetime(2024, 5, 1, 10, 0, 0, 123450, tzinfo=UTC)) == \
        "2024-05-01T10:00:00.12345Z"
    assert format_time(datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)) == "2024-05-01T10:00:00Z"


def test_idempotency_hash_is_canonical() -> None:
    a = idempotency_hash({"b": 1, "a": [1, 2], "c": {"y": "é", "x": None}})
    b = idempotency_hash({"c": {"x": None, "y": "é"}, "a": [1, 2], "b": 1})
    assert a == b
    assert "=" not in a and len(a) == 43  # SHA-256, base64url without padding
    assert idempotency_hash({"a": [2, 1]}) != idempotency_hash({"a": [1, 2]})
    assert idempotency_hash({"amount": 1}) != idempotency_hash({"amount": "1"})
