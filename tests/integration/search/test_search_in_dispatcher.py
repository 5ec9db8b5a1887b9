"""The events dispatcher process (`python -m workers dispatcher`) runs the search indexer: a
ledger write becomes searchable while it runs, with no other process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from config.settings import Settings
from storage.database import Database
from tests.integration.ledger.helpers import create_ledger, posting, send
from tests.integration.search.helpers import page
from workers.dispatcher import run_dispatcher

WAIT_S = 10.0


async def test_the_dispatcher_indexes_for_search(client: httpx.AsyncClient,
                                                 database: Database) -> None:
    stop = asyncio.Event()
    # No webhook config exists, so the dispatcher never needs Temporal: any client will do.
    task = asyncio.create_task(run_dispatcher(Settings(), database, stop,
                                              temporal_client=object()))  # type: ignore[arg-type]
    try:
        await create_ledger(client, "main")
        assert (await send(client, "main", posting("world", "users:42", 5),
                           reference="via-dispatcher")).status_code == 200
        found: list[dict[str, Any]] = []
        async with asyncio.timeout(WAIT_S):
            while not found:
                found = await page(client, target="TRANSACTION", terms=["reference=via-dispatcher"])
                await asyncio.sleep(0.05)
        assert found[0]["postings"][0]["destination"] == "users:42"
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
