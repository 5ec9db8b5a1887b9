"""Webhook process fixtures: fast retry settings, and the webhooks module stack (API, worker on a
task queue of its own) plus the events dispatcher, against the real Temporal dev server and
PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from config.settings import Settings
from config.webhooks import WebhooksSettings
from storage.database import Database
from tests.temporal_stack import ModuleStack, unique_modules
from workers.dispatcher import run_dispatcher


def fast_settings(**overrides: Any) -> dict[str, Any]:
    """LEDGERFLOW_WEBHOOKS_* values that run the Formance schedule in seconds."""
    values: dict[str, Any] = {
        "min_backoff": timedelta(milliseconds=300), "max_backoff": timedelta(seconds=1),
        "abort_after": timedelta(minutes=2), "max_attempts": 5,
        "retry_after_cap": timedelta(seconds=3), "poll_interval": timedelta(milliseconds=100),
        "http_timeout": timedelta(seconds=5), "outbox_batch_size": 100, "send_batch_size": 50,
    }
    values.update(overrides)
    return values


class Stack(ModuleStack):
    """The webhooks processes of one test: API, worker and dispatcher, each stoppable."""

    def __init__(self, temporal_env: Any, database: Database, database_url: str,
                 temporal_address: str, webhooks: dict[str, Any]) -> None:
        super().__init__("webhooks", temporal_env, database, database_url, temporal_address,
                         unique_modules(webhooks=webhooks))

    @property
    def webhooks(self) -> WebhooksSettings:
        return self.modules.webhooks

    @asynccontextmanager
    async def dispatcher(self) -> AsyncIterator[asyncio.Event]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_dispatcher(
            Settings(), self.database, stop, webhooks=self.webhooks, temporal_client=self.client,
        ))
        try:
            yield stop
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
