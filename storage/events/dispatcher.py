"""Hands outbox events to one consumer, batch by batch, exactly once.

Each batch is one database transaction: lock the consumer's offset, read the events after it, let
the consumer write what it derives from them, advance the offset, commit. A crash anywhere rolls
all of it back, so the batch is simply read again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events.consumer import EventConsumer
from storage.database import Database
from storage.events.outbox_reader import advance, lock_offset, read_after
from storage.failures import UNAVAILABLE_LOG, describe, is_connection_failure

log = logging.getLogger("ledgerflow.events")


class OutboxDispatcher:
    def __init__(
        self, database: Database, consumer: EventConsumer[AsyncConnection], *,
        batch_size: int = 500, on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.database = database
        self.consumer = consumer
        self.batch_size = batch_size
        self.on_batch = on_batch  # called after each committed, non-empty batch

    async def dispatch_batch(self) -> int:
        """One batch; returns how many events it handed over (0: caught up)."""
        async with self.database.transaction() as conn:
            offset = await lock_offset(conn, self.consumer.name)
            events, last = await read_after(conn, offset, self.batch_size)
            if not events:
                return 0
            await self.consumer.handle(events, conn)
            await advance(conn, self.consumer.name, last)
        if self.on_batch:
            self.on_batch(len(events))
        return len(events)

    async def run(self, stop: asyncio.Event, *, poll_interval: float) -> None:
        """Until `stop`: drain the outbox, then poll. A failed batch is retried after a pause."""
        while not stop.is_set():
            try:
                handled = await self.dispatch_batch()
            except Exception as exc:  # the database is down or the consumer failed: retry
                if is_connection_failure(exc):
                    # Expected while PostgreSQL restarts: one rate-limited line, no traceback.
                    UNAVAILABLE_LOG.warning("events consumer %s: database unavailable (%s), "
                                            "retrying", self.consumer.name, describe(exc))
                else:
                    log.exception("events consumer %s: batch failed", self.consumer.name)
                handled = 0
            if handled < self.batch_size:
                await _wait(stop, poll_interval)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
