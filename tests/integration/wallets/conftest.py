"""Wallets fixtures: the API with Temporal reachable, and a wallets worker (hold workflow and its
activities) on a task queue of its own, against the real dev server and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from storage.database import Database
from tests.temporal_stack import ModuleStack


@pytest.fixture
async def wallets(database_url: str, database: Database, temporal_env: Any,
                  temporal_address: str) -> AsyncIterator[httpx.AsyncClient]:
    stack = ModuleStack("wallets", temporal_env, database, database_url, temporal_address)
    async with stack.worker(), stack.http() as c:
        yield c
