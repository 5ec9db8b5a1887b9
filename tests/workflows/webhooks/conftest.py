"""Webhook process fixtures: fast retry settings, a unique task queue, the dispatcher and a
webhooks worker running against the real Temporal dev server and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio.worker import Worker

from activities.webhooks.settings import WebhookSettings
from api.app import create_app
from config.settings import Settings
from storage.database import Database
from workers.dispatcher import run_dispatcher, webhook_activities
from workers.worker import sandbox_runner
from workflows.webhooks.all import WORKFLOWS


def fast_settings(**overrides: Any) -> WebhookSettings:
    values: dict[str, Any] = {
        "min_backoff": timedelta(milliseconds=300), "max_backoff": timedelta(seconds=1),
        "abort_after": timedelta(minutes=2), "max_attempts": 5,
        "retry_after_cap": timedelta(seconds=3), "poll_interval": timedelta(milliseconds=100),
        "http_timeout": timedelta(seconds=5), "outbox_batch_size": 100, "send_batch_size": 50,
    }
    values.update(overrides)
    return WebhookSettings(**values)


@pytest.fixture
def queue() -> str:
    return f"webhooks-test-{uuid.uuid4()}"


class Stack:
    """The webhooks processes of one test: worker and dispatcher, each stoppable."""

    def __init__(self, temporal_env: Any, database: Database, queue: str,
                 settings: WebhookSettings) -> None:
        self.client = temporal_env.client
        self.database = database
        self.queue = queue
        self.settings = settings

    @asynccontextmanager
    async def worker(self) -> AsyncIterator[Worker]:
        activities = webhook_activities(self.database, self.settings)
        async with Worker(self.client, task_queue=self.queue, workflows=WORKFLOWS,
                          activities=activities.all(),  # type: ignore[arg-type]
                          workflow_runner=sandbox_runner()) as worker:
            yield worker
        await activities.sender.client.aclose()

    @asynccontextmanager
    async def dispatcher(self) -> AsyncIterator[asyncio.Event]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_dispatcher(
            Settings(), self.database, stop, webhook_settings=self.settings,
            temporal_client=self.client, task_queue=self.queue,
        ))
        try:
            yield stop
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    @asynccontextmanager
    async def api(self, database_url: str, temporal_address: str
                  ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(Settings(database_url=database_url, temporal_address=temporal_address),
                         database=self.database)
        app.state.webhooks_task_queue = self.queue
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
