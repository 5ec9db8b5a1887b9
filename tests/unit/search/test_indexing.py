"""From events to documents without a database: what each event writes, and that a batch
handed over again, or an older event after a newer one, changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.events.models import Event
from domain.search.documents import free_text, indexed_fields, sort_value, words
from domain.search.indexing import apply_events, touched_keys
from domain.search.models import Document, DocumentKey, Kind

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _event(n: int, type_: str, payload: dict[str, Any], app: str = "ledger") -> Event:
    envelope = {"date": "2025-01-01T00:00:00Z", "app": app, "version": "v2", "type": type_,
                "payload": payload}
    if app == "ledger":
        envelope["ledger"] = payload["ledger"]
    return Event(id=n, app=app, type=type_, envelope=envelope, created_at=NOW)


TX = {"id": 1, "postings": [{"source": "world", "destination": "a", "amount": 5,
                             "asset": "USD"}],
      "metadata": {"k": "v"}, "timestamp": "2025-01-01T00:00:00.1Z", "reverted": False}
EVENTS = [
    _event(10, "COMMITTED_TRANSACTIONS", {"ledger": "l", "transactions": [TX],
                                          "accountMetadata": {"a": {"role": "user"}}}),
    _event(11, "SAVED_METADATA", {"ledger": "l", "targetType": "ACCOUNT", "targetId": "a",
                                  "metadata": {"role": "admin"}}),
    _event(12, "DELETED_METADATA", {"ledger": "l", "targetType": "TRANSACTION", "targetId": "1",
                                    "key": "k"}),
]


def _run(events: list[Event], loaded: dict[DocumentKey, Document] | None = None
         ) -> dict[DocumentKey, Document]:
    docs = dict(loaded or {})
    docs.update(apply_events(events, docs).documents)
    return docs


def test_ledger_events_make_transactions_accounts_and_audit() -> None:
    docs = _run(EVENTS)
    tx = docs[DocumentKey(Kind.TRANSACTION, "l", "1")]
    assert tx.data["metadata"] == {} and tx.data["txid"] == 1 and tx.event_id == 12
    fields = indexed_fields(tx)
    assert (fields["source"], fields["destination"], fields["amount"]) == (["world"], ["a"], [5])
    assert fields["timestamp"] == "2025-01-01T00:00:00.100000Z"  # sorts as text
    assert sort_value(tx) == 1
    account = docs[DocumentKey(Kind.ACCOUNT, "l", "a")]
    assert account.data["metadata"] == {"role": "admin"}
    assert "admin" in free_text(account) and "a" in free_text(account)
    assert DocumentKey(Kind.ACCOUNT, "l", "world") in docs
    assert sorted(k.id for k in docs if k.kind is Kind.AUDIT) == ["10", "11", "12"]
    assert touched_keys(EVENTS) >= {DocumentKey(Kind.ACCOUNT, "l", "a"),
                                    DocumentKey(Kind.TRANSACTION, "l", "1")}


def test_replays_change_nothing() -> None:
    docs = _run(EVENTS)
    for replay in (EVENTS, EVENTS[:1], EVENTS[1:2]):
        assert _run(replay, docs) == docs


def test_initiation_status_survives_its_own_event_again() -> None:
    created = _event(20, "SAVED_PAYMENT_INITIATION", {"id": "i", "amount": 1}, app="payments")
    adjusted = _event(21, "SAVED_PAYMENT_INITIATION_ADJUSTMENT",
                      {"paymentInitiationID": "i", "status": "PROCESSED"}, app="payments")
    docs = _run([created, adjusted])
    resaved = _event(22, "SAVED_PAYMENT_INITIATION", {"id": "i", "amount": 2}, app="payments")
    doc = _run([resaved], docs)[DocumentKey(Kind.PAYMENT_TRANSFER_INITIATION, "", "i")]
    assert doc.data == {"id": "i", "amount": 2, "status": "PROCESSED"}


def test_free_text_words() -> None:
    assert words("users:001 At the CORNER users:001") == [
        "users:001", "users", "001", "at", "the", "corner"]
    assert words("") == []


def test_a_payload_of_unknown_shape_does_not_stop_the_index() -> None:
    bad = _event(30, "COMMITTED_TRANSACTIONS", {"ledger": "l", "transactions": [
        {"id": 9, "postings": "not a list"}]})
    odd = Event(id=31, app="ledger", type="SAVED_METADATA",
                envelope={"type": "SAVED_METADATA", "payload": ["not", "an", "object"]},
                created_at=NOW)
    batch = [bad, odd, *EVENTS]
    assert touched_keys(batch) >= touched_keys(EVENTS)
    docs = _run(batch)
    assert {k.id for k in docs if k.kind is Kind.AUDIT} == {"10", "11", "12", "30", "31"}
    assert docs[DocumentKey(Kind.ACCOUNT, "l", "a")].data["metadata"] == {"role": "admin"}
