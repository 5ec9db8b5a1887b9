"""Settling a write whose COMMIT got no answer.

When the connection fails while a write may be committing (the reply to a COMMIT, or to an
autocommit statement, never came), the write may or may not be in the ledger, and running it
again would write a request without an Idempotency-Key twice. The writer knows what it tried to
write: the log ids and hashes its statements returned, or, for an autocommit statement that
never answered, the log it drafted (type, date to the microsecond, content). So after the
failure it reconnects and:

1. makes sure the old transaction can no longer commit: it terminates the old backend (a
   backend whose client vanished keeps running its statement until it next talks to the
   socket) and waits until it is gone;
2. reads those logs back: all there with the same hash (or content) -> committed; none ->
   not committed, and nothing of it ever will be.

Only the failure path pays for this; the happy path has no extra round trip. If PostgreSQL does
not come back within SETTLE_TIMEOUT_S the outcome stays unknown, and the caller says so (503,
"retry with the same Idempotency-Key")."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from domain.ledger.models import Log
from domain.ledger.ports import LogDraft
from storage.failures import describe, is_connection_failure
from storage.ledger.jsonutil import dumps, loads

log = logging.getLogger(__name__)

SETTLE_TIMEOUT_S = 15.0
_POLL_S = 0.02

Connect = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]

_LOG_COLUMNS = "id, type, data::text, date, hash, idempotency_key, idempotency_hash"
_LOGS_BY_ID_SQL = f"SELECT {_LOG_COLUMNS} FROM logs WHERE ledger = $1 AND id = ANY($2::bigint[])"
_LOGS_BY_DATE_SQL = (f"SELECT {_LOG_COLUMNS} FROM logs WHERE ledger = $1 AND date = $2 "
                     "AND type = $3")  # ix_logs_ledger_date


@dataclass(slots=True)
class Attempt:
    """What one connection tried to commit to one ledger."""

    ledger: str
    pid: int  # the server process that ran it
    logs: dict[int, bytes] = field(default_factory=dict)  # log id -> hash, as returned
    drafts: list[LogDraft] = field(default_factory=list)  # logs whose ids never came back


class OutcomeUnknown(Exception):
    """Storage-internal: the connection failed while `attempt` may have been committing."""

    def __init__(self, attempt: Attempt, cause: BaseException) -> None:
        super().__init__(f"commit outcome unknown: {describe(cause)}")
        self.attempt = attempt


def pid_of(conn: asyncpg.Connection) -> int:
    try:
        return int(conn.get_server_pid())
    except Exception:  # a pool proxy already released: no pid to wait for
        return 0


async def settle(connect: Connect, attempt: Attempt, bound_s: float = SETTLE_TIMEOUT_S
                 ) -> list[Log] | None:
    """The logs of `attempt` if it committed, [] if it did not, None if that could not be
    decided within `bound_s` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound_s
    while True:
        try:
            async with connect() as conn:
                return await asyncio.wait_for(_settle_on(conn, attempt, deadline),
                                              max(0.01, deadline - loop.time()))
        except TimeoutError:
            pass
        except Exception as exc:
            if not is_connection_failure(exc):
                log.error("settling a write of ledger %r failed: %s", attempt.ledger,
                          describe(exc))
                return None
        if loop.time() >= deadline:
            log.warning("outcome of a write of ledger %r still unknown after %.0f s",
                        attempt.ledger, bound_s)
            return None
        await asyncio.sleep(0.2)


async def _settle_on(conn: asyncpg.Connection, attempt: Attempt, deadline: float
                     ) -> list[Log] | None:
    loop = asyncio.get_running_loop()
    if attempt.pid and attempt.pid != conn.get_server_pid():
        await conn.execute("SELECT pg_terminate_backend($1)", attempt.pid)
        while await conn.fetchval("SELECT 1 FROM pg_stat_activity WHERE pid = $1",
                                  attempt.pid):
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(_POLL_S)
    found: list[Log] = []
    if attempt.logs:
        rows = await conn.fetch(_LOGS_BY_ID_SQL, attempt.ledger, list(attempt.logs))
        found += [_log(r) for r in rows if bytes(r["hash"]) == attempt.logs[r["id"]]]
    expected = len(attempt.logs)
    for draft in attempt.drafts:
        rows = await conn.fetch(_LOGS_BY_DATE_SQL, attempt.ledger, draft.date, str(draft.type))
        matches = [_log(r) for r in rows if _same(draft, r)]
        if len(matches) > 1:
            return None  # two identical logs in the same microsecond: cannot tell
        found += matches
        expected += 1
    if len(found) == expected:
        return found
    if not found:
        return []
    return None  # part of one transaction: cannot be; do not guess


def _same(draft: LogDraft, row: asyncpg.Record) -> bool:
    if row["idempotency_key"] != draft.idempotency_key:
        return False
    stored = loads(row["data"])
    ours: Any = copy.deepcopy(loads(dumps(draft.data)))
    for path in draft.pending_paths:  # the id the database assigned is not ours to compare
        src, dst = stored, ours
        for key in path[:-1]:
            if not isinstance(src, dict) or not isinstance(dst, dict):
                return False
            src, dst = src.get(key), dst.get(key)
        if not isinstance(src, dict) or not isinstance(dst, dict):
            return False
        dst[path[-1]] = src.get(path[-1])
    return bool(stored == ours)


def _log(row: asyncpg.Record) -> Log:
    return Log(id=row["id"], type=row["type"], data=loads(row["data"]), date=row["date"],
               hash=bytes(row["hash"]) if row["hash"] is not None else None,
               idempotency_key=row["idempotency_key"],
               idempotency_hash=row["idempotency_hash"])
