"""The store's write side and what every seam builds on: the connection pool, the group
committer per ledger (the set-based path), and a unit of work (`writer`), read back when its
connection fails around a COMMIT. Writes themselves are raw asyncpg (storage/ledger/writes.py)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

import asyncpg

from domain.availability import DatabaseUnavailableError, WriteOutcomeUnknownError
from domain.ledger.errors import (
    CommitRecoveredError,
    TransientWriteError,
)
from domain.ledger.ports import SubmitOutcome, TransactionSpec
from storage.database import POOL_TIMEOUT_S, Database
from storage.failures import describe, unavailable
from storage.ledger.batch_write import BatchWriter, FastGroup, texts_for
from storage.ledger.group_commit import GroupCommitter
from storage.ledger.outcome import OutcomeUnknown, settle
from storage.ledger.writes import PgLedgerWriter

logger = logging.getLogger(__name__)

_F = TypeVar("_F", bound=PgLedgerWriter)


@asynccontextmanager
async def finishing(unit: _F) -> AsyncIterator[_F]:
    """Ends a writer's (or an importer's) unit of work: committed when the block ends normally,
    rolled back when it raises."""
    try:
        yield unit
    except BaseException:
        await unit.finish(failed=True)
        raise
    await unit.finish(failed=False)



class StoreBase:
    def __init__(self, database: Database) -> None:
        self.db = database
        # Ledgers are never hard-deleted: a name seen once exists for good (positive cache only).
        self._known_ledgers: set[str] = set()
        self._committers: dict[str, GroupCommitter] = {}

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            pool = await self.db.write_pool()
            conn = await pool.acquire(timeout=POOL_TIMEOUT_S)
        except TimeoutError:  # every connection busy (or connecting) for that long
            raise DatabaseUnavailableError() from None
        except Exception as exc:
            down = unavailable(exc)
            if down is None:
                raise
            raise down from exc
        try:
            # The pool's proxy forwards every Connection method the writers use.
            yield cast(asyncpg.Connection, conn)
        finally:
            try:
                await pool.release(conn)
            except Exception as exc:  # a broken connection: the pool replaces it
                logger.debug("releasing a write connection failed: %s", describe(exc))

    def _committer(self, ledger: str) -> GroupCommitter:
        committer = self._committers.get(ledger)
        if committer is None:
            committer = self._committers[ledger] = GroupCommitter(
                self._connection, BatchWriter(ledger))
        return committer

    def write_stats(self) -> dict[str, dict[str, int]]:
        """Per ledger, how this process's batches were written (storage/ledger/batch_write.py):
        `optimistic` (one statement), `locked`, and `refused` optimistic statements."""
        return {name: dict(c.batches.counts) for name, c in sorted(self._committers.items())}

    def write_sizes(self) -> dict[int, int]:
        """This process's set-based write batches by number of transactions, over ledgers."""
        sizes: Counter[int] = Counter()
        for committer in self._committers.values():
            sizes.update(committer.batches.sizes)
        return dict(sizes)

    async def submit_transactions(self, ledger: str, items: list[TransactionSpec], *,
                                  stop_on_failure: bool) -> list[SubmitOutcome]:
        # Serialised here, in the request's coroutine, not in the batch's serial section.
        texts = [texts_for(ledger, spec.dated(spec.requested_at)) for spec in items]
        return await self._committer(ledger).submit(FastGroup(items, stop_on_failure, texts))

    @asynccontextmanager
    async def writer(self, ledger: str, *, dry_run: bool = False, atomic: bool = False
                     ) -> AsyncIterator[PgLedgerWriter]:
        """A unit of work. If its connection fails while it may be committing, it is read back
        once the connection is returned (storage/ledger/outcome.py): CommitRecoveredError if it
        committed, TransientWriteError (run it again) if not, WriteOutcomeUnknownError if that
        cannot be found out in time."""
        try:
            if not dry_run and not atomic:
                # The common case shares a COMMIT with the writes arriving meanwhile
                # (storage/ledger/group_commit.py explains why).
                async with self._committer(ledger).turn() as turn, finishing(PgLedgerWriter(
                        turn.conn, ledger, dry_run=False, atomic=False,
                        in_transaction=turn.in_batch, written=turn.written)) as w:
                    yield w
                return
            async with self._connection() as conn:
                w = PgLedgerWriter(conn, ledger, dry_run=dry_run, atomic=atomic)
                if dry_run or atomic:
                    await w.begin()
                async with finishing(w):
                    yield w
        except OutcomeUnknown as unknown:
            found = await settle(self._connection, unknown.attempt)
            logger.warning("ledger %r: the connection failed around a COMMIT (%s); read back: %s",
                        ledger, unknown, "unknown" if found is None else
                        "committed" if found else "not committed")
            if found is None:
                raise WriteOutcomeUnknownError() from unknown
            if not found:
                raise TransientWriteError("not committed") from unknown
            raise CommitRecoveredError(found) from unknown

    async def _rows(self, stmt: Any) -> Sequence[Any]:
        async with self.db.transaction() as conn:
            return (await conn.execute(stmt)).all()
