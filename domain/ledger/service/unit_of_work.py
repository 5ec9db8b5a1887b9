"""What every write's unit of work shares: its bounded retries with jittered backoff, and the
answer it gives from a log already written (an idempotent replay, or a COMMIT recovered after
the connection failed)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from typing import Any

from domain.ledger.errors import IdempotencyKeyConflictError
from domain.ledger.models import Log, LogType, Transaction, WriteOptions, WriteResult
from domain.ledger.records import transaction_from_json

MAX_ATTEMPTS = 6


def replay(log: Log, options: WriteOptions) -> WriteResult:
    if log.idempotency_hash != options.idempotency_hash:
        raise IdempotencyKeyConflictError(options.idempotency_key or "")
    return replace(written(log), idempotency_hit=True)


def written(log: Log) -> WriteResult:
    tx: Transaction | None = None
    data: dict[str, Any] = log.data
    if log.type in (LogType.NEW_TRANSACTION, LogType.REVERTED_TRANSACTION):
        tx = transaction_from_json(data["transaction"])
    return WriteResult(log_id=log.id, transaction=tx)


async def backoff(attempt: int) -> None:
    await asyncio.sleep(random.uniform(0, 0.002 * (2**attempt)))
