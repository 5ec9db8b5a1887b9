"""From events to documents: pure code, the same for every sink.

`touched_keys` names the documents a batch of events reads (the sink loads them first), and
`apply_events` plays the events over them in order and returns the documents to write. Each
document keeps the outbox id of the last event applied; an event older than that is skipped for
that document, so a batch handed over again (a redelivery, a sink without transactions) changes
nothing. Two events on one document are written in the order their sources committed them: a
ledger account or transaction, a payment, is locked by its writer while its event is inserted,
so ids of one document's events grow in commit order.

Indexed: ledger COMMITTED_TRANSACTIONS, REVERTED_TRANSACTION, SAVED_METADATA, DELETED_METADATA
(transactions and accounts); payments SAVED_PAYMENT, SAVED_BALANCE (the latest balance per
account and asset), SAVED_BANK_ACCOUNT, SAVED_PAYMENT_INITIATION with its adjustments (its
status) and related payments (`relatedPaymentIDs`), and CONNECTOR_RESET (the old connector's
documents are dropped); every event of every app as an AUDIT document."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.events.models import Event
from domain.search.models import NO_LEDGER, Document, DocumentKey, Kind

log = logging.getLogger("ledgerflow.search")

PAYMENT_KINDS = (Kind.PAYMENT, Kind.PAYMENT_BALANCE, Kind.PAYMENT_TRANSFER_INITIATION)
_FROM_ADJUSTMENTS = ("status", "error", "relatedPaymentIDs")
_INITIATION_UPDATES = ("SAVED_PAYMENT_INITIATION_ADJUSTMENT",
                       "SAVED_PAYMENT_INITIATION_RELATED_PAYMENT")


@dataclass
class IndexChanges:
    """What a batch does to the index: documents to write whole, then connectors whose
    documents are dropped (CONNECTOR_RESET)."""

    documents: dict[DocumentKey, Document] = field(default_factory=dict)
    dropped_connectors: list[str] = field(default_factory=list)


def _payload(event: Event) -> dict[str, Any]:
    payload = event.envelope.get("payload")
    return payload if isinstance(payload, dict) else {}


def _ledger_of(event: Event) -> str:
    payload = _payload(event)
    return str(event.envelope.get("ledger") or payload.get("ledger") or NO_LEDGER)


def account_key(ledger: str, address: str) -> DocumentKey:
    return DocumentKey(Kind.ACCOUNT, ledger, address)


def transaction_key(ledger: str, txid: object) -> DocumentKey:
    return DocumentKey(Kind.TRANSACTION, ledger, str(txid))


def balance_id(account_id: str, asset: str) -> str:
    return f"{account_id}/{asset}"


def _addresses(tx: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for p in tx.get("postings") or []:
        seen.setdefault(str(p.get("source")), None)
        seen.setdefault(str(p.get("destination")), None)
    return list(seen)


def touched_keys(events: Iterable[Event]) -> set[DocumentKey]:
    """The documents `apply_events` reads: what the sink loads before calling it."""
    keys: set[DocumentKey] = set()
    for event in events:
        try:
            keys.update(_touched_by(event))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # apply_events says so, and indexes its AUDIT entry only
    return keys


def _touched_by(event: Event) -> set[DocumentKey]:
    keys: set[DocumentKey] = set()
    payload = _payload(event)
    ledger = _ledger_of(event)
    if event.app == "ledger":
        for tx in _ledger_transactions(event.type, payload):
            keys.add(transaction_key(ledger, tx.get("id")))
            keys.update(account_key(ledger, a) for a in _addresses(tx))
        keys.update(account_key(ledger, a) for a in payload.get("accountMetadata") or {})
        if event.type in ("SAVED_METADATA", "DELETED_METADATA"):
            kind = Kind.ACCOUNT if payload.get("targetType") == "ACCOUNT" else Kind.TRANSACTION
            keys.add(DocumentKey(kind, ledger, str(payload.get("targetId"))))
    elif event.type == "SAVED_PAYMENT_INITIATION":
        keys.add(DocumentKey(Kind.PAYMENT_TRANSFER_INITIATION, NO_LEDGER,
                             str(payload.get("id"))))
    elif event.type in _INITIATION_UPDATES:
        keys.add(DocumentKey(Kind.PAYMENT_TRANSFER_INITIATION, NO_LEDGER,
                             str(payload.get("paymentInitiationID"))))
    return keys


def _ledger_transactions(event_type: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    if event_type == "COMMITTED_TRANSACTIONS":
        return [t for t in payload.get("transactions") or [] if isinstance(t, dict)]
    if event_type == "REVERTED_TRANSACTION":
        return [t for t in (payload.get("revertedTransaction"), payload.get("revertTransaction"))
                if isinstance(t, dict)]
    return []


class _Batch:
    def __init__(self, loaded: dict[DocumentKey, Document]) -> None:
        # Shallow copies: events only ever assign top-level fields (a new metadata map, a
        # status), so the caller's documents are never changed.
        self.docs = {k: Document(k, dict(d.data), d.event_id) for k, d in loaded.items()}
        self.changes = IndexChanges()

    def current(self, key: DocumentKey, event: Event) -> Document | None:
        """The document as the event may change it; None when it is absent, or newer than the
        event (then the event is not applied to it)."""
        doc = self.docs.get(key)
        if doc is not None and doc.event_id > event.id:
            return None
        return doc

    def put(self, key: DocumentKey, data: dict[str, Any], event: Event) -> None:
        existing = self.docs.get(key)
        if existing is not None and existing.event_id > event.id:
            return
        doc = Document(key, data, event.id)
        self.docs[key] = doc
        self.changes.documents[key] = doc

    def touch(self, doc: Document, event: Event) -> None:
        doc.event_id = event.id
        self.changes.documents[doc.key] = doc


def apply_events(events: Sequence[Event], loaded: dict[DocumentKey, Document]) -> IndexChanges:
    batch = _Batch(loaded)
    for event in events:
        payload = _payload(event)
        try:
            if event.app == "ledger":
                _ledger_event(batch, event, _ledger_of(event), payload)
            elif event.app == "payments":
                _payments_event(batch, event, payload)
        except (AttributeError, KeyError, TypeError, ValueError):
            # A payload of a shape this code does not know must not stop the index (the
            # dispatcher would hand the same batch over forever): it is said, kept in AUDIT,
            # and the reindex command rebuilds its objects from the source tables.
            log.warning("search: event %s (%s.%s) has a payload it cannot index", event.id,
                        event.app, event.type, exc_info=True)
        batch.put(DocumentKey(Kind.AUDIT, _ledger_of(event), str(event.id)),
                  audit_data(event), event)
    return batch.changes


def audit_data(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = {"id": event.id, "app": event.app, "type": event.type,
                            "date": event.envelope.get("date"),
                            "payload": event.envelope.get("payload")}
    ledger = _ledger_of(event)
    if ledger:
        data["ledger"] = ledger
    if event.idempotency_key:
        data["idempotencyKey"] = event.idempotency_key
    return data


def transaction_data(ledger: str, tx: dict[str, Any]) -> dict[str, Any]:
    return {**tx, "ledger": ledger, "txid": tx.get("id")}


def _ensure_account(batch: _Batch, ledger: str, address: str, event: Event) -> Document | None:
    key = account_key(ledger, address)
    if key not in batch.docs:
        batch.put(key, {"address": address, "ledger": ledger, "metadata": {}}, event)
    return batch.current(key, event)


def _ledger_event(batch: _Batch, event: Event, ledger: str, payload: dict[str, Any]) -> None:
    for tx in _ledger_transactions(event.type, payload):
        batch.put(transaction_key(ledger, tx.get("id")), transaction_data(ledger, tx), event)
        for address in _addresses(tx):
            _ensure_account(batch, ledger, address, event)
    for address, metadata in (payload.get("accountMetadata") or {}).items():
        doc = _ensure_account(batch, ledger, address, event)
        if doc is not None and metadata:
            doc.data["metadata"] = {**(doc.data.get("metadata") or {}), **metadata}
            batch.touch(doc, event)
    if event.type not in ("SAVED_METADATA", "DELETED_METADATA"):
        return
    target = str(payload.get("targetId"))
    if payload.get("targetType") == "ACCOUNT":
        found = _ensure_account(batch, ledger, target, event)
    else:
        # A transaction is indexed by its own event first; one missing here was never indexed
        # (the reindex command brings it).
        found = batch.current(transaction_key(ledger, target), event)
    if found is None:
        return
    metadata = dict(found.data.get("metadata") or {})
    if event.type == "SAVED_METADATA":
        metadata.update(payload.get("metadata") or {})
    else:
        metadata.pop(str(payload.get("key")), None)
    found.data["metadata"] = metadata
    batch.touch(found, event)


def _payments_event(batch: _Batch, event: Event, payload: dict[str, Any]) -> None:
    kind = {"SAVED_PAYMENT": Kind.PAYMENT, "SAVED_BANK_ACCOUNT": Kind.PAYMENT_BANK_ACCOUNT,
            "SAVED_PAYMENT_INITIATION": Kind.PAYMENT_TRANSFER_INITIATION}.get(event.type)
    if kind is not None and payload.get("id") is not None:
        key = DocumentKey(kind, NO_LEDGER, str(payload["id"]))
        data = dict(payload)
        existing = batch.docs.get(key)
        if kind is Kind.PAYMENT_TRANSFER_INITIATION and existing is not None:
            # Its own event carries no status: the adjustments' fields stay.
            data.update({k: v for k, v in existing.data.items() if k in _FROM_ADJUSTMENTS})
        batch.put(key, data, event)
    elif event.type == "SAVED_BALANCE" and payload.get("accountID") is not None:
        key = DocumentKey(Kind.PAYMENT_BALANCE, NO_LEDGER,
                          balance_id(str(payload["accountID"]), str(payload.get("asset"))))
        batch.put(key, {"id": key.id, **payload}, event)
    elif event.type in _INITIATION_UPDATES:
        _initiation_update(batch, event, payload)
    elif event.type == "CONNECTOR_RESET" and payload.get("connectorID"):
        connector = str(payload["connectorID"])
        batch.changes.dropped_connectors.append(connector)
        for key, doc in list(batch.changes.documents.items()):
            if key.kind in PAYMENT_KINDS and doc.data.get("connectorID") == connector:
                del batch.changes.documents[key]


def _initiation_update(batch: _Batch, event: Event, payload: dict[str, Any]) -> None:
    """An initiation's status is its latest adjustment's; its payments are listed by id."""
    initiation = batch.current(DocumentKey(Kind.PAYMENT_TRANSFER_INITIATION, NO_LEDGER,
                                           str(payload.get("paymentInitiationID"))), event)
    if initiation is None:
        return
    if event.type == "SAVED_PAYMENT_INITIATION_ADJUSTMENT" and payload.get("status"):
        initiation.data["status"] = payload["status"]
        if payload.get("error"):
            initiation.data["error"] = payload["error"]
    elif payload.get("paymentID"):
        related = list(initiation.data.get("relatedPaymentIDs") or [])
        if payload["paymentID"] not in related:
            related.append(payload["paymentID"])
        initiation.data["relatedPaymentIDs"] = related
    batch.touch(initiation, event)
