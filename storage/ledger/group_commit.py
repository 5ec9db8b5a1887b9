"""Group commit for the ledger write path.

Every write of a ledger touches two hot rows: the ledger row (gapless ids, the log hash chain)
and, for money from `@world`, the world volume row. Their row locks are held until COMMIT, and a
durable COMMIT waits for a WAL flush, so writers of one ledger queue behind one flush each: with
one transaction per request the ledger tops out at 1/flush-time, whatever the concurrency.

So the writes that arrive while a batch is running take turns on one connection inside one
database transaction, each in its own savepoint, and share one COMMIT. A write that fails rolls
back to its savepoint and gets its error at once; the others answer only after the COMMIT has
succeeded, so nothing is acknowledged that is not durable. If the COMMIT is refused, every write
of the batch gets a TransientWriteError and the service runs it again. If the connection fails
while the COMMIT may have happened, nothing is re-run blindly: the batch is read back
(storage/ledger/outcome.py) and each write is answered with the truth (committed; not
committed, so run again; or, when that cannot be found out in time, WriteOutcomeUnknownError).
A batch of one runs in autocommit, exactly the fast path it was before.

Every wait here is bounded (a turn, a COMMIT, a submitted batch), and every way out of a batch
tells its waiters, whatever fails on the way (a rollback on a dead connection included).

The turn is handed to the request's own coroutine (not a closure run by the batch leader), so
the service code is unchanged: it sees a LedgerWriter whose transaction is already open.

Transactions that need no read beforehand do not take turns at all: they are submitted as data
(`submit`) and the leader writes all that are waiting with the set-based path of
storage/ledger/batch_write.py, two statements for the whole batch. The same leader runs both
kinds of batch one after the other, so one ledger never has two write transactions of this
process in flight."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from domain.availability import DatabaseUnavailableError, WriteOutcomeUnknownError
from domain.ledger.errors import TransientWriteError
from domain.ledger.ports import SubmitOutcome
from storage.failures import UNAVAILABLE_LOG, describe, is_connection_failure
from storage.ledger.batch_write import BatchOutcomeUnknown, BatchWriter, FastGroup
from storage.ledger.outcome import SETTLE_TIMEOUT_S, Attempt, pid_of, settle
from storage.ledger.writes import LOCK_LEDGER_SQL

ConnectionFactory = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]

log = logging.getLogger(__name__)

# Each write of a batch is a savepoint; past 64 subtransactions in one transaction PostgreSQL's
# per-backend cache overflows and snapshot checks slow down for every session.
MAX_BATCH = 60
# Transactions per set-based batch: enough to amortise the statements, small enough that the
# arrays stay cheap to build and the row locks are held for a few milliseconds.
MAX_SUBMITTED = 1000
# A request that holds its turn longer than this (a stuck client-side coroutine) fails the batch
# rather than stalling every writer of the ledger behind it.
TURN_TIMEOUT_S = 30.0
# How long a request waits for its turn (or for its submitted batch to start) before giving
# up with nothing written, and, once written, for the COMMIT and, if need be, the read-back.
QUEUE_TIMEOUT_S = 30.0
COMMIT_TIMEOUT_S = TURN_TIMEOUT_S + SETTLE_TIMEOUT_S + 5.0


@dataclass(eq=False)
class Turn:
    conn: asyncpg.Connection
    in_batch: bool  # False: the batch has one write, which runs in autocommit
    finished: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop()
                                           .create_future())
    committed: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop()
                                            .create_future())
    # The logs this turn wrote (id -> hash), read back if the batch's COMMIT goes unanswered.
    written: dict[int, bytes] = field(default_factory=dict)


@dataclass(eq=False)
class _Submitted:
    group: FastGroup
    outcome: asyncio.Future[list[SubmitOutcome]]
    taken: bool = False  # the leader has started writing it


class GroupCommitter:
    def __init__(self, connect: ConnectionFactory, batches: BatchWriter,
                 max_batch: int = MAX_BATCH, max_submitted: int = MAX_SUBMITTED) -> None:
        self._connect = connect
        self.batches = batches
        self._max_batch = max_batch
        self._max_submitted = max_submitted
        self._waiting: deque[asyncio.Future[Turn]] = deque()
        self._submitted: deque[_Submitted] = deque()
        self._leader: asyncio.Task[None] | None = None

    def _ensure_leader(self) -> None:
        if self._leader is None or self._leader.done():
            self._leader = asyncio.get_running_loop().create_task(self._lead())

    async def submit(self, group: FastGroup) -> list[SubmitOutcome]:
        """The outcome of each transaction of the group, once the batch is durable."""
        entry = _Submitted(group, asyncio.get_running_loop().create_future())
        self._submitted.append(entry)
        self._ensure_leader()
        try:
            # A timeout (or the request's cancellation) cancels the future: the leader skips
            # an entry it has not taken, and drops the answer of one it has.
            async with asyncio.timeout(QUEUE_TIMEOUT_S + COMMIT_TIMEOUT_S):
                return await entry.outcome
        except TimeoutError:
            if not entry.taken:
                raise DatabaseUnavailableError() from None  # never written
            raise WriteOutcomeUnknownError() from None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Turn]:
        """Wait for this write's turn; leaving the block ends it, and returns only once the
        batch is durably committed (or raises what went wrong)."""
        loop = asyncio.get_running_loop()
        ticket: asyncio.Future[Turn] = loop.create_future()
        self._waiting.append(ticket)
        self._ensure_leader()
        try:
            turn = await asyncio.wait_for(asyncio.shield(ticket), QUEUE_TIMEOUT_S)
        except BaseException as exc:  # timed out, or the request was cancelled
            if not ticket.done():
                ticket.cancel()  # never given: the leader skips it, nothing written
            elif not ticket.cancelled() and ticket.exception() is None:
                ticket.result().finished.set_result(False)  # given just as we left
            if isinstance(exc, TimeoutError):
                raise DatabaseUnavailableError() from None
            raise
        try:
            yield turn
        except BaseException:
            turn.finished.set_result(False)
            raise
        turn.finished.set_result(True)
        if turn.in_batch:
            try:
                await asyncio.wait_for(asyncio.shield(turn.committed), COMMIT_TIMEOUT_S)
            except TimeoutError:
                raise WriteOutcomeUnknownError() from None

    def _take_submitted(self) -> list[_Submitted]:
        entries: list[_Submitted] = []
        count = 0
        while self._submitted and (not entries or count + len(
                self._submitted[0].group.items) <= self._max_submitted):
            entry = self._submitted.popleft()
            if not entry.outcome.done():  # a cancelled request has left
                entry.taken = True
                entries.append(entry)
                count += len(entry.group.items)
        return entries

    async def _lead(self) -> None:
        while self._waiting or self._submitted:
            if self._submitted:
                entries = self._take_submitted()
                if entries:
                    try:
                        await self._run_submitted(entries)
                    finally:  # whatever happened, nobody is left waiting
                        _fail(entries, TransientWriteError("write batch abandoned"))
            batch: list[asyncio.Future[Turn]] = []
            while self._waiting and len(batch) < self._max_batch:
                ticket = self._waiting.popleft()
                if not ticket.done():  # a request cancelled while waiting has left
                    batch.append(ticket)
            if batch:
                self.batches.forget_head()  # these writes move the ledger head
                try:
                    await self._run_batch(batch)
                finally:
                    _fail_tickets(batch, TransientWriteError("write batch abandoned"))

    async def _run_submitted(self, entries: list[_Submitted]) -> None:
        try:
            async with self._connect() as conn:
                results = await self.batches.write(conn, [e.group for e in entries])
        except BatchOutcomeUnknown as unknown:
            await self._settle_submitted(entries, unknown)
        except (asyncpg.exceptions.DeadlockDetectedError,
                asyncpg.exceptions.SerializationError, TransientWriteError) as exc:
            _fail(entries, TransientWriteError(f"write batch rolled back: {exc}"))
        except Exception as exc:
            if is_connection_failure(exc):
                # Before anything was sent (no connection), or known rolled back: nothing of
                # the batch is written.
                UNAVAILABLE_LOG.warning("ledger %r: write batch not written: %s",
                                        self.batches.ledger, describe(exc))
                _fail(entries, DatabaseUnavailableError())
            elif isinstance(exc, asyncpg.PostgresError):
                # A constraint the batch could not foresee (say a reference another process
                # has just used): nothing was written, each transaction goes the
                # per-transaction way, whose errors are precise.
                log.warning("set-based write batch rolled back, deferring its %d groups: %s",
                            len(entries), exc)
                for e in entries:
                    if not e.outcome.done():
                        e.outcome.set_result([SubmitOutcome(deferred=True)
                                              for _ in e.group.items])
            else:
                log.exception("write batch failed")
                _fail(entries, TransientWriteError(f"write batch failed: {exc}"))
        else:
            for e, result in zip(entries, results, strict=True):
                if not e.outcome.done():
                    e.outcome.set_result(result)

    async def _settle_submitted(self, entries: list[_Submitted],
                                unknown: BatchOutcomeUnknown) -> None:
        found = await settle(self._connect, unknown.attempt)
        UNAVAILABLE_LOG.warning("ledger %r: the connection failed around a batch of %d "
                                "writes; read back: %s", self.batches.ledger,
                                len(unknown.batch.accepted),
                                "unknown" if found is None else
                                "committed" if found else "not committed")
        if found is None:
            _fail(entries, WriteOutcomeUnknownError())
            return
        if not found:  # not written, and never will be: safe to run again
            _fail(entries, TransientWriteError("write batch not committed"))
            return
        try:
            async with self._connect() as conn:
                await self.batches.recovered(conn, unknown)
        except Exception as exc:  # committed, but its answers cannot be built: say unknown
            UNAVAILABLE_LOG.warning("ledger %r: a committed batch's volumes could not be read: "
                                    "%s", self.batches.ledger, describe(exc))
            _fail(entries, WriteOutcomeUnknownError())
            return
        for e, result in zip(entries, unknown.outcomes, strict=True):
            if not e.outcome.done():
                e.outcome.set_result(result)

    async def _run_batch(self, batch: list[asyncio.Future[Turn]]) -> None:
        unknown: tuple[Attempt, list[Turn]] | None = None
        try:
            async with self._connect() as conn:
                if len(batch) == 1:
                    await self._give_turn(batch[0], Turn(conn, in_batch=False))
                    return
                unknown = await self._run_transaction(conn, batch)
        except Exception as exc:  # the connection itself failed: nobody can be served by it
            error: Exception = (DatabaseUnavailableError() if is_connection_failure(exc)
                                else TransientWriteError(f"write batch failed: {exc}"))
            _fail_tickets(batch, error)
        if unknown is not None:  # settled once the connection is back in the pool
            attempt, succeeded = unknown
            found = await settle(self._connect, attempt)
            UNAVAILABLE_LOG.warning("ledger %r: the connection failed around the COMMIT of %d "
                                    "writes; read back: %s", self.batches.ledger,
                                    len(succeeded), "unknown" if found is None else
                                    "committed" if found else "not committed")
            if found:
                _tell(succeeded, None)
            else:
                _tell(succeeded, WriteOutcomeUnknownError() if found is None
                      else TransientWriteError("write batch not committed"))

    async def _run_transaction(self, conn: asyncpg.Connection, batch: list[asyncio.Future[Turn]]
                               ) -> tuple[Attempt, list[Turn]] | None:
        """Runs the batch's turns and COMMIT. Returns what to read back when the connection
        failed around the COMMIT; every other outcome is told to the waiters here."""
        pid = pid_of(conn)
        tx: asyncpg.transaction.Transaction | None = None
        succeeded: list[Turn] = []
        try:
            # Inside the try: a connection lost since it was acquired is already detached
            # from its pool proxy (storage/failures.py), and even this call fails; nothing is
            # written, so its writes run again, as when the BEGIN itself fails.
            tx = conn.transaction()
            await tx.start()
            await conn.execute(LOCK_LEDGER_SQL, self.batches.ledger)  # the lock order's first
            for ticket in batch:
                if ticket.done():
                    continue
                savepoint = conn.transaction()
                await savepoint.start()
                turn = Turn(conn, in_batch=True)
                ok = await self._give_turn(ticket, turn)
                if ok:
                    # Counted before its RELEASE SAVEPOINT: its holder already waits for the
                    # COMMIT, so if the connection fails right here it must be told too
                    # (else it would wait COMMIT_TIMEOUT_S and answer "outcome unknown" for
                    # a write known not committed).
                    succeeded.append(turn)
                    await savepoint.commit()
                else:
                    await savepoint.rollback()
        except BaseException as exc:
            # No COMMIT was sent: nothing of the batch is written. Tell everyone first; the
            # rollback may fail on a dead connection.
            error = TransientWriteError(f"write batch rolled back: {exc}")
            _tell(succeeded, error)
            _fail_tickets(batch, error)
            if tx is not None:
                await _quietly(tx.rollback())
            if not isinstance(exc, Exception):
                raise
            return None
        try:
            await tx.commit()
        except Exception as exc:
            if is_connection_failure(exc) or isinstance(exc, TimeoutError):
                _fail_tickets(batch, TransientWriteError("write batch abandoned"))
                written: dict[int, bytes] = {}
                for turn in succeeded:
                    written.update(turn.written)
                return Attempt(self.batches.ledger, pid, written), succeeded
            _tell(succeeded, TransientWriteError(f"write batch rolled back: {exc}"))
            await _quietly(tx.rollback())
            return None
        _tell(succeeded, None)
        return None

    async def _give_turn(self, ticket: asyncio.Future[Turn], turn: Turn) -> bool:
        if ticket.done():
            return False
        ticket.set_result(turn)
        try:
            return await asyncio.wait_for(asyncio.shield(turn.finished), TURN_TIMEOUT_S)
        except TimeoutError:
            # The holder may still wake up and use the connection: make sure it cannot.
            turn.conn.terminate()
            raise


def _fail(entries: list[_Submitted], error: Exception) -> None:
    for e in entries:
        if not e.outcome.done():
            e.outcome.set_exception(error)


def _fail_tickets(batch: list[asyncio.Future[Turn]], error: Exception) -> None:
    """Tickets never given a turn: nothing of theirs was written."""
    for ticket in batch:
        if not ticket.done():
            ticket.set_exception(error)


def _tell(turns: list[Turn], error: Exception | None) -> None:
    for turn in turns:
        if turn.committed.done():
            continue
        if error is None:
            turn.committed.set_result(None)
        else:
            turn.committed.set_exception(error)


async def _quietly(step: Any) -> None:
    try:
        await step
    except Exception as exc:  # a dead connection: the server rolls back by itself
        log.debug("rollback on a failed connection: %s", describe(exc))
