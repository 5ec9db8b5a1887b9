"""Formance JSON for ledger resources. Amounts are Python ints of any size: JSON numbers by
default, strings when the client sends `Formance-Bigint-As-String: true`."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import Request, Response

from api.ledger.inputs import header
from domain.ledger.hashing import format_time
from domain.ledger.models import (
    Account,
    AggregatedVolumes,
    Ledger,
    Log,
    Posting,
    Transaction,
    VolumeRow,
    Volumes,
)
from storage.ledger.jsonutil import dumps_bytes

_TRUE = {"true", "yes", "y", "1"}


def bigint_as_string(request: Request) -> bool:
    return (header(request, b"formance-bigint-as-string") or "").strip().lower() in _TRUE


class Renderer:
    def __init__(self, big_as_string: bool) -> None:
        self.big = big_as_string

    def num(self, value: int) -> int | str:
        return str(value) if self.big else value

    def volumes(self, v: Volumes) -> dict[str, Any]:
        return {"input": self.num(v.input), "output": self.num(v.output),
                "balance": self.num(v.balance)}

    def aggregated(self, agg: AggregatedVolumes) -> dict[str, Any]:
        return {a: {s: self.volumes(v) for s, v in assets.items()} for a, assets in agg.items()}

    def posting(self, p: Posting) -> dict[str, Any]:
        return {"source": p.source, "destination": p.destination, "amount": self.num(p.amount),
                "asset": p.asset}

    def transaction(self, tx: Transaction) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": tx.id,
            "postings": [self.posting(p) for p in tx.postings],
            "metadata": tx.metadata,
            "timestamp": format_time(tx.timestamp),
            "insertedAt": format_time(tx.inserted_at),
            "updatedAt": format_time(tx.updated_at),
            "reverted": tx.reverted,
        }
        if tx.reference:
            doc["reference"] = tx.reference
        if tx.template:  # V2Transaction.template: the schema template its script came from
            doc["template"] = tx.template
        if tx.reverted_at is not None:
            doc["revertedAt"] = format_time(tx.reverted_at)
        if tx.post_commit_volumes is not None:
            doc["postCommitVolumes"] = self.aggregated(tx.post_commit_volumes)
            doc["preCommitVolumes"] = self.aggregated(_pre_commit(tx, tx.post_commit_volumes))
        if tx.post_commit_effective_volumes is tx.post_commit_volumes and \
                tx.post_commit_volumes is not None:
            # Not back-dated: the same volumes; the JSON encoder writes shared dicts twice.
            doc["postCommitEffectiveVolumes"] = doc["postCommitVolumes"]
            doc["preCommitEffectiveVolumes"] = doc["preCommitVolumes"]
        elif tx.post_commit_effective_volumes is not None:
            doc["postCommitEffectiveVolumes"] = self.aggregated(tx.post_commit_effective_volumes)
            doc["preCommitEffectiveVolumes"] = self.aggregated(
                _pre_commit(tx, tx.post_commit_effective_volumes))
        return doc

    def account(self, a: Account) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "address": a.address,
            "metadata": a.metadata,
            "firstUsage": format_time(a.first_usage),
            "insertionDate": format_time(a.insertion_date),
            "updatedAt": format_time(a.updated_at),
        }
        if a.volumes is not None:
            doc["volumes"] = {s: self.volumes(v) for s, v in a.volumes.items()}
        if a.effective_volumes is not None:
            doc["effectiveVolumes"] = {s: self.volumes(v) for s, v in a.effective_volumes.items()}
        return doc

    def volume_row(self, v: VolumeRow) -> dict[str, Any]:
        return {"account": v.account, "asset": v.asset, "input": self.num(v.input),
                "output": self.num(v.output), "balance": self.num(v.balance)}

    @staticmethod
    def ledger(ledger: Ledger) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": ledger.id, "name": ledger.name, "bucket": ledger.bucket,
            "metadata": ledger.metadata, "features": ledger.features,
            "addedAt": format_time(ledger.added_at),
        }
        if ledger.deleted_at is not None:
            doc["deletedAt"] = format_time(ledger.deleted_at)
        return doc

    @staticmethod
    def log(log: Log) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": log.id, "type": log.type, "data": log.data, "date": format_time(log.date),
            "hash": base64.b64encode(log.hash).decode() if log.hash else "",
        }
        if log.idempotency_key:
            doc["idempotencyKey"] = log.idempotency_key
        return doc


def _pre_commit(tx: Transaction, post: AggregatedVolumes) -> AggregatedVolumes:
    received: dict[tuple[str, str], int] = {}
    sent: dict[tuple[str, str], int] = {}
    for p in tx.postings:
        received[(p.destination, p.asset)] = received.get((p.destination, p.asset), 0) + p.amount
        sent[(p.source, p.asset)] = sent.get((p.source, p.asset), 0) + p.amount
    return {
        account: {
            asset: Volumes(v.input - received.get((account, asset), 0),
                           v.output - sent.get((account, asset), 0))
            for asset, v in assets.items()
        }
        for account, assets in post.items()
    }


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(dumps_bytes(body), status_code=status, media_type="application/json",
                    headers=headers)
