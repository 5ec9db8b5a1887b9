"""Each event is indexed once: a batch handed over again (a dispatcher that crashed before its
commit, or a replay) leaves the index as it was, and an older event handed over after a newer
one does not bring back the state the newer one replaced."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events.models import Event
from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.search.consumer import SearchIndexConsumer
from tests.integration.ledger.helpers import create_ledger, posting, send
from tests.integration.search.helpers import drain, page

L = "/api/ledger/v2"


async def _index(database: Database) -> list[tuple[Any, ...]]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT kind, ledger, doc_id, data, event_id FROM search_documents "
            "ORDER BY kind, ledger, doc_id"))).all()
    return [tuple(r) for r in rows]


async def _events(database: Database) -> list[Event]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT id, app, type, envelope, created_at FROM events_outbox ORDER BY id"))).all()
    return [Event(id=r.id, app=r.app, type=r.type, envelope=r.envelope,
                  created_at=r.created_at) for r in rows]


async def _write(client: httpx.AsyncClient) -> None:
    await create_ledger(client, "main")
    assert (await send(client, "main", posting("world", "users:001", 5))).status_code == 200
    for md in ({"tier": "gold"}, {"tier": "silver"}):
        r = await client.post(f"{L}/main/accounts/users:001/metadata", json=md)
        assert r.status_code == 204


async def test_a_batch_handed_over_again_changes_nothing(client: httpx.AsyncClient,
                                                         database: Database) -> None:
    await _write(client)
    await drain(database)
    before = await _index(database)
    assert len([r for r in before if r[0] == "AUDIT"]) == 3
    events = await _events(database)
    consumer = SearchIndexConsumer()
    for batch in (events, events[:1], events[1:2]):  # all again, then older ones alone
        async with database.transaction() as conn:
            await consumer.handle(batch, conn)
    assert await _index(database) == before
    found = await page(client, target="ACCOUNT", terms=["address=users:001"])
    assert found[0]["metadata"] == {"tier": "silver"}


class CrashAfterWriting:
    """The search consumer, failing after its writes on the first batch: the dispatcher's
    transaction rolls them back with the offset, and the batch comes again."""

    name = "search"

    def __init__(self) -> None:
        self.inner = SearchIndexConsumer()
        self.calls = 0

    async def handle(self, events: Sequence[Event], transaction: AsyncConnection) -> None:
        self.calls += 1
        await self.inner.handle(events, transaction)
        if self.calls == 1:
            raise RuntimeError("crash after the index writes, before the commit")


async def test_a_crashed_batch_is_indexed_once(client: httpx.AsyncClient,
                                               database: Database) -> None:
    await _write(client)
    consumer = CrashAfterWriting()
    dispatcher = OutboxDispatcher(database, consumer, batch_size=100)
    with contextlib.suppress(RuntimeError):
        await dispatcher.dispatch_batch()
    assert await _index(database) == []
    assert await dispatcher.dispatch_batch() == 3
    assert await dispatcher.dispatch_batch() == 0
    index = await _index(database)
    assert sorted(r[2] for r in index if r[0] == "AUDIT") == sorted(
        str(e.id) for e in await _events(database))
    assert [a["metadata"] for a in await page(client, target="ACCOUNT",
                                              terms=["address=users:001"])] == [
        {"tier": "silver"}]
