"""The search indexer: an outbox consumer loop of the events dispatcher (OUTBOX_CONSUMERS), with
its own offset. Each batch's documents and the offset commit in one transaction
(storage/events/dispatcher.py), so every event is indexed exactly once, in commit order. It
polls every `poll_interval` once caught up, which bounds the lag after a quiet moment."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from config.modules import ModuleSettings
from config.settings import Settings
from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.search.consumer import SearchIndexConsumer


def search_dispatcher(database: Database, modules: ModuleSettings) -> OutboxDispatcher:
    return OutboxDispatcher(database, SearchIndexConsumer(),
                            batch_size=modules.search.outbox_batch_size)


async def run_search_indexer(settings: Settings, database: Database, client: Client,
                             modules: ModuleSettings, stop: asyncio.Event) -> None:
    await search_dispatcher(database, modules).run(
        stop, poll_interval=modules.search.poll_interval.total_seconds())
