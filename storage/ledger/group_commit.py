"""Group commit for the ledger write path.

Every write of a ledger touches two hot rows: the ledger row (gapless ids, the log hash chain)
and, for money from `@world`, the world volume row. Their row locks are held until COMMIT, and a
durable COMMIT waits for a WAL flush, so writers of one ledger queue behind one flush each: with
one transaction per request the ledger tops out at 1/flush-time, whatever the concurrency.

So the writes that arrive while a batch is running take turns on one connection inside one
database transaction, each in its own savepoint, and share one COMMIT. A write that fails rolls
back to its savepoint and gets its error at once; the others answer only after the COMMIT has
succeeded, so nothing is acknowledged that is not durable. If the COMMIT fails, every write of
the batch gets a TransientWriteError and the service retries it (idempotency keys make that
safe). A batch of one runs in autocommit, exactly the fast path it was before.

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

import asyncpg

from domain.ledger.errors import TransientWriteError
from domain.ledger.ports import SubmitOutcome
from storage.ledger.batch_write import BatchWriter, FastGroup
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


@dataclass(eq=False)
class Turn:
    conn: asyncpg.Connection
    in_batch: bool  # False: the batch has one write, which runs in autocommit
    finished: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop()
                                           .create_future())
    committed: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop()
                                            .create_future())


@dataclass(eq=False)
class _Submitted:
    group: FastGroup
    outcome: asyncio.Future[list[SubmitOutcome]]


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
        return await entry.outcome

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Turn]:
        """Wait for this write's turn; leaving the block ends it, and returns only once the
        batch is durably committed (or raises what went wrong)."""
        loop = asyncio.get_running_loop()
        ticket: asyncio.Future[Turn] = loop.create_future()
        self._waiting.append(ticket)
        self._ensure_leader()
        turn = await ticket
        try:
            yield turn
        except BaseException:
            turn.finished.set_result(False)
            raise
        turn.finished.set_result(True)
        if turn.in_batch:
            await turn.committed

    def _take_submitted(self) -> list[_Submitted]:
        entries: list[_Submitted] = []
        count = 0
        while self._submitted and (not entries or count + len(
                self._submitted[0].group.items) <= self._max_submitted):
            entry = self._submitted.popleft()
            if not entry.outcome.done():  # a cancelled request has left
                entries.append(entry)
                count += len(entry.group.items)
        return entries

    async def _lead(self) -> None:
        while self._waiting or self._submitted:
            if self._submitted:
                entries = self._take_submitted()
                if entries:
                    await self._run_submitted(entries)
            batch: list[asyncio.Future[Turn]] = []
            while self._waiting and len(batch) < self._max_batch:
                ticket = self._waiting.popleft()
                if not ticket.done():  # a request cancelled while waiting has left
                    batch.append(ticket)
            if batch:
                self.batches.forget_head()  # these writes move the ledger head
                await self._run_batch(batch)

    async def _run_submitted(self, entries: list[_Submitted]) -> None:
        try:
            async with self._connect() as conn:
                results = await self.batches.write(conn, [e.group for e in entries])
        except (asyncpg.exceptions.DeadlockDetectedError,
                asyncpg.exceptions.SerializationError) as exc:
            self._fail(entries, TransientWriteError(f"write batch rolled back: {exc}"))
        except asyncpg.PostgresError as exc:
            # A constraint the batch could not foresee (say a reference another process has
            # just used): nothing was written, each transaction goes the per-transaction way,
            # whose errors are precise.
            log.warning("set-based write batch rolled back, deferring its %d groups: %s",
                        len(entries), exc)
            for e in entries:
                if not e.outcome.done():
                    e.outcome.set_result([SubmitOutcome(deferred=True) for _ in e.group.items])
        except Exception as exc:
            self._fail(entries, TransientWriteError(f"write batch failed: {exc}"))
        else:
            for e, result in zip(entries, results, strict=True):
                if not e.outcome.done():
                    e.outcome.set_result(result)

    @staticmethod
    def _fail(entries: list[_Submitted], error: Exception) -> None:
        for e in entries:
            if not e.outcome.done():
                e.outcome.set_exception(error)

    async def _run_batch(self, batch: list[asyncio.Future[Turn]]) -> None:
        try:
            async with self._connect() as conn:
                if len(batch) == 1:
                    await self._give_turn(batch[0], Turn(conn, in_batch=False))
                    return
                await self._run_transaction(conn, batch)
        except Exception as exc:  # the connection itself failed: nobody can be served by it
            for ticket in batch:
                if not ticket.done():
                    ticket.set_exception(TransientWriteError(f"write batch failed: {exc}"))

    async def _run_transaction(self, conn: asyncpg.Connection,
                               batch: list[asyncio.Future[Turn]]) -> None:
        tx = conn.transaction()
        await tx.start()
        succeeded: list[Turn] = []
        try:
            await conn.execute(LOCK_LEDGER_SQL, self.batches.ledger)  # the lock order's first
            for ticket in batch:
                if ticket.done():
                    continue
                savepoint = conn.transaction()
                await savepoint.start()
                turn = Turn(conn, in_batch=True)
                ok = await self._give_turn(ticket, turn)
                if ok:
                    await savepoint.commit()
                    succeeded.append(turn)
                else:
                    await savepoint.rollback()
            await tx.commit()
        except BaseException as exc:
            if not conn.is_closed() and conn.is_in_transaction():
                await tx.rollback()
            error = TransientWriteError(f"write batch rolled back: {exc}")
            for turn in succeeded:
                if not turn.committed.done():
                    turn.committed.set_exception(error)
            if not isinstance(exc, Exception):
                raise
            return
        for turn in succeeded:
            if not turn.committed.done():
                turn.committed.set_result(None)

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
