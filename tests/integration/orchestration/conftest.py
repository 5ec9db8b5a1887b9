"""The orchestration stack (app + worker on its own task queue) for the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from storage.database import Database
from tests.workflows.orchestration.flow_env import Flows, flows_stack


@pytest.fixture
async def flows(database_url: str, database: Database, temporal_env: Any,
                temporal_address: str) -> AsyncIterator[Flows]:
    async with flows_stack(database_url, database, temporal_env, temporal_address) as env:
        yield env
