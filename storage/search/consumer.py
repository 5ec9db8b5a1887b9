"""The search consumer of the events dispatcher: the documents a batch of events makes, written
in the dispatcher's transaction, so they commit with the consumer's offset (exactly once, in
commit order)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events.models import Event
from domain.search.indexing import apply_events, touched_keys
from domain.search.sink import SearchSink
from storage.search.sink import PgSearchSink

CONSUMER_NAME = "search"


class SearchIndexConsumer:
    name = CONSUMER_NAME

    def __init__(self, sink: SearchSink[AsyncConnection] | None = None) -> None:
        # Any SearchSink: PostgreSQL by default (the documents then commit with the offset).
        self.sink: SearchSink[AsyncConnection] = sink or PgSearchSink()

    async def handle(self, events: Sequence[Event], transaction: AsyncConnection) -> None:
        if not events:
            return
        loaded = await self.sink.load(touched_keys(events), transaction)
        await self.sink.write(apply_events(events, loaded), transaction)
