"""The events dispatcher process. `run_dispatcher` runs, until `stop`, the webhooks loops (the
outbox dispatcher, which turns events into pending webhook deliveries, exactly once, offset and
deliveries in one transaction; and the batch sender, which makes first attempts and hands
retryable failures to Temporal) and every loop in OUTBOX_CONSUMERS: each other module that
consumes the outbox (its own consumer name, so its own offset) adds one entry there."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from activities.webhooks.batch_sender import BatchSender
from activities.webhooks.http_sender import WebhookHttpSender, new_http_client
from config.modules import ModuleSettings
from config.settings import Settings
from config.webhooks import WebhooksSettings
from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.webhooks.consumer import WebhookDeliveriesConsumer
from workers.metrics import CountedDeliveryQueue
from workers.search_dispatch import run_search_indexer
from workers.triggers_dispatch import run_triggers
from workers.webhooks import retry_starter
from workflows.client import connect

log = logging.getLogger("ledgerflow.dispatcher")

# (settings, database, temporal client, module settings, stop) -> a loop that runs until `stop`.
ConsumerLoop = Callable[[Settings, Database, Client, ModuleSettings, asyncio.Event],
                        Awaitable[None]]
OUTBOX_CONSUMERS: dict[str, ConsumerLoop] = {
    "search": run_search_indexer,
    "orchestration-triggers": run_triggers,
}


async def run_dispatcher(
    settings: Settings, database: Database, stop: asyncio.Event, *,
    webhooks: WebhooksSettings | None = None, temporal_client: Client | None = None,
    modules: ModuleSettings | None = None,
) -> None:
    modules = modules or ModuleSettings()
    webhooks = webhooks or modules.webhooks
    client = temporal_client or await connect(settings.effective_temporal_address,
                                              settings.temporal_namespace)
    wake = asyncio.Event()
    dispatcher = OutboxDispatcher(
        database, WebhookDeliveriesConsumer(), batch_size=webhooks.outbox_batch_size,
        on_batch=lambda _: wake.set(),
    )
    async with new_http_client(webhooks.http_timeout.total_seconds(),
                               webhooks.max_concurrent_sends) as http:
        sender = BatchSender(CountedDeliveryQueue(database), WebhookHttpSender(http),
                             retry_starter(client, webhooks), webhooks)
        log.info("events dispatcher running (webhooks, %s)", ", ".join(OUTBOX_CONSUMERS))
        await asyncio.gather(
            dispatcher.run(stop, poll_interval=webhooks.poll_interval.total_seconds()),
            sender.run(stop, wake),
            *(loop(settings, database, client, modules, stop)
              for loop in OUTBOX_CONSUMERS.values()),
        )
