"""What the log hash chain costs the write path (issue 9: "hashing on costs <= 30% against
hashing off").

The ledger always hashes (the hash chain is what makes its logs verifiable), so instead of two
stack runs this measures the hashing work itself on the set-based write path, in CPU time per
transaction: the batch evaluation of N one-posting transactions with the chain computed, then
with the two hashing steps (the canonical log memento, SHA-256 chaining) replaced by no-ops.
Compare the difference with the per-transaction CPU of the whole write (API + PostgreSQL) that
the ledger write benchmark reports."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from domain.ledger.models import Posting
from domain.ledger.ports import TransactionSpec
from domain.ledger.postings import BalanceCheck, plan_postings
from storage.ledger import batch_write
from storage.ledger.batch_write import FastGroup, LedgerHead, _Batch


def _specs(count: int) -> list[TransactionSpec]:
    start = datetime.now(UTC)
    specs = []
    for i in range(count):
        postings = [Posting("world", f"users:{i}", 100, "USD/2")]
        spec = TransactionSpec(
            ledger="bench", postings=postings,
            plan=plan_postings(postings, BalanceCheck.SEQUENTIAL), metadata={},
            account_metadata={}, reference=None, template=None, timestamp=None,
            requested_at=start + timedelta(microseconds=i), idempotency_key=None,
            idempotency_hash=None)
        spec.dated(spec.requested_at)  # built by the request, outside the batch (as in the API)
        specs.append(spec)
    return specs


def _cpu_per_tx_us(count: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        specs = _specs(count)
        t0 = time.process_time()
        batch = _Batch("bench", LedgerHead(0, 0, None), None, set(), {}, None)
        batch.evaluate(FastGroup(specs, stop_on_failure=False))
        batch.write_args()
        best = min(best, time.process_time() - t0)
    return best / count * 1e6


def run_hashing(count: int = 5000, rounds: int = 5) -> dict[str, Any]:
    hashed = _cpu_per_tx_us(count, rounds)
    with patch.object(batch_write, "log_memento", lambda *a, **k: '{"id":-1}'), \
            patch.object(batch_write, "chain_hash", lambda previous, memento: b"\0" * 32):
        unhashed = _cpu_per_tx_us(count, rounds)
    return {"transactions": count, "batch_cpu_us_per_tx_hashed": round(hashed, 2),
            "batch_cpu_us_per_tx_unhashed": round(unhashed, 2),
            "hashing_us_per_tx": round(hashed - unhashed, 2)}


if __name__ == "__main__":
    print(run_hashing())
