"""Wallets fixtures: the API with Temporal reachable, and a wallets worker (hold workflow and its
activities) on a task queue of its own, against the real dev server and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.worker import Worker

from api.app import create_app
from config.settings import Settings
from storage.database import Database
from workers.wallets import activities
from workers.worker import sandbox_runner
from workflows.wallets.hold import HoldWorkflow


@pytest.fixture
async def wallets(database_url: str, database: Database, temporal_env: Any,
                  temporal_address: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=database_url, temporal_address=temporal_address),
                     database=database)
    queue = f"wallets-test-{uuid.uuid4()}"
    app.state.wallets_task_queue = queue
    acts = activities(database)
    async with Worker(temporal_env.client, task_queue=queue, workflows=[HoldWorkflow],
                      activities=acts.all(),
                      workflow_runner=sandbox_runner()):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
