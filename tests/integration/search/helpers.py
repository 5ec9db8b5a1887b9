from __future__ import annotations

from typing import Any

import httpx

from config.modules import ModuleSettings
from storage.database import Database
from workers.search_dispatch import search_dispatcher

SEARCH = "/api/search/"


async def drain(database: Database) -> int:
    """Indexes every committed event, as the dispatcher's loop does; how many it handed over."""
    dispatcher = search_dispatcher(database, ModuleSettings())
    total = 0
    while handled := await dispatcher.dispatch_batch():
        total += handled
    return total


async def search(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await client.post(SEARCH, json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def page(client: httpx.AsyncClient, **body: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await search(client, **body))["cursor"]["data"]
    return found


def assert_refused(r: httpx.Response, *words: str) -> str:
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "VALIDATION", r.text
    message = str(r.json()["errorMessage"])
    for word in words:
        assert word in message, message
    return message
