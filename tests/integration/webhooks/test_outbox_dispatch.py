"""The outbox dispatcher hands every event to a consumer exactly once: across crashes, across
concurrent dispatchers, and whatever order concurrent writers commit in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events.models import Event
from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.outbox import event_envelope, events_outbox
from storage.webhooks.consumer import WebhookDeliveriesConsumer
from storage.webhooks.tables import webhook_configs, webhook_deliveries


def _event_row(n: int) -> dict[str, Any]:
    return {"app": "ledger", "type": "COMMITTED_TRANSACTIONS", "created_at": datetime.now(UTC),
            "envelope": event_envelope("ledger", "COMMITTED_TRANSACTIONS",
                                       {"ledger": "main", "transactions": [{"id": n}]},
                                       ledger="main")}


async def _insert_events(conn: AsyncConnection, count: int, start: int = 0) -> None:
    await conn.execute(insert(events_outbox), [_event_row(start + i) for i in range(count)])


async def _add_config(database: Database, event_types: list[str], active: bool = True) -> None:
    import uuid

    now = datetime.now(UTC)
    async with database.transaction() as conn:
        await conn.execute(insert(webhook_configs).values(
            id=uuid.uuid4(), endpoint="https://example.com", secret="s", event_types=event_types,
            active=active, created_at=now, updated_at=now))


async def _deliveries(database: Database) -> list[tuple[int, object]]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(select(webhook_deliveries.c.event_id,
                                          webhook_deliveries.c.config_id))).all()
    return [(r.event_id, r.config_id) for r in rows]


class Recording:
    """A consumer that records what it saw and can crash on a chosen batch."""

    name = "recording"

    def __init__(self, crash_on_batch: int | None = None) -> None:
        self.seen: list[int] = []
        self.batches = 0
        self.crash_on_batch = crash_on_batch

    async def handle(self, events: Sequence[Event], transaction: AsyncConnection) -> None:
        self.batches += 1
        if self.batches == self.crash_on_batch:
            raise RuntimeError("crash in the middle of a batch")
        self.seen += [e.id for e in events]


async def test_one_delivery_per_matching_active_config_exactly_once_across_a_crash(
    database: Database,
) -> None:
    await _add_config(database, ["ledger.committed_transactions"])
    await _add_config(database, ["ledger.committed_transactions", "ledger.saved_metadata"])
    await _add_config(database, ["ledger.saved_metadata"])
    await _add_config(database, ["ledger.committed_transactions"], active=False)
    async with database.transaction() as conn:
        await _insert_events(conn, 7)

    class CrashingWebhooks(WebhookDeliveriesConsumer):
        calls = 0

        async def handle(self, events: Sequence[Event], transaction: AsyncConnection) -> None:
            await super().handle(events, transaction)  # writes, then dies before the commit
            type(self).calls += 1
            if type(self).calls == 2:
                raise RuntimeError("killed mid-batch")

    crashing = OutboxDispatcher(database, CrashingWebhooks(), batch_size=3)
    assert await crashing.dispatch_batch() == 3
    with contextlib.suppress(RuntimeError):
        await crashing.dispatch_batch()
    assert len(await _deliveries(database)) == 3 * 2  # the crashed batch left nothing

    restarted = OutboxDispatcher(database, WebhookDeliveriesConsumer(), batch_size=3)
    while await restarted.dispatch_batch():
        pass
    deliveries = await _deliveries(database)
    assert len(deliveries) == 7 * 2 and len(set(deliveries)) == 7 * 2


async def test_an_event_committed_late_with_a_smaller_id_is_not_skipped(
    database: Database,
) -> None:
    consumer = Recording()
    dispatcher = OutboxDispatcher(database, consumer, batch_size=100)
    async with database.engine.connect() as slow:
        slow_tx = await slow.begin()
        await _insert_events(slow, 1)  # takes the smaller id, commits last
        async with database.transaction() as fast:
            await _insert_events(fast, 1, start=1)
        await dispatcher.dispatch_batch()
        assert consumer.seen == []  # the frontier waits for the open transaction
        await slow_tx.commit()
    await dispatcher.dispatch_batch()
    assert len(consumer.seen) == 2 and len(set(consumer.seen)) == 2


async def test_concurrent_dispatchers_of_one_consumer_never_share_an_event(
    database: Database,
) -> None:
    async with database.transaction() as conn:
        await _insert_events(conn, 50)
    consumer = Recording()
    dispatchers = [OutboxDispatcher(database, consumer, batch_size=4) for _ in range(4)]

    async def drain(d: OutboxDispatcher) -> None:
        while await d.dispatch_batch():  # noqa: ASYNC110 - each call is a database round trip
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(d) for d in dispatchers))
    assert len(consumer.seen) == 50 and len(set(consumer.seen)) == 50
    assert consumer.seen == sorted(consumer.seen)
    async with database.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(events_outbox))).scalar()
    assert total == 50
