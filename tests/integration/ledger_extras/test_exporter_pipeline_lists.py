"""`GET /v2/_/exporters` and `GET /v2/{ledger}/pipelines` page their rows with the Formance
cursor envelope of the spec (V2ExportersCursorResponse / V2PipelinesCursorResponse):
`{pageSize, hasMore, previous?, next?, data}`, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.ledger.exporters import Pipeline
from storage.database import Database
from storage.ledger.exporters_store import PgExporterStore

V2 = "/api/ledger/v2"


async def page(client: httpx.AsyncClient, url: str, **params: Any) -> dict[str, Any]:
    r = await client.get(url, params=params)
    assert r.status_code == 200, r.text
    cursor: dict[str, Any] = r.json()["cursor"]
    return cursor


async def walk(client: httpx.AsyncClient, url: str, size: int) -> list[list[str]]:
    """Every page, following `next`, then back again along `previous`."""
    pages = [await page(client, url, pageSize=size)]
    assert "previous" not in pages[0]
    while pages[-1]["hasMore"]:
        pages.append(await page(client, url, cursor=pages[-1]["next"]))
    assert "next" not in pages[-1]
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        back = await page(client, url, cursor=back["previous"])
        assert back["data"] == expected["data"]
    assert all(p["pageSize"] == size for p in pages)
    return [[x["id"] for x in p["data"]] for p in pages]


async def test_exporters_are_paged(client: httpx.AsyncClient) -> None:
    url = f"{V2}/_/exporters"
    empty = await page(client, url)
    assert empty == {"pageSize": 15, "hasMore": False, "data": []}

    ids = []
    for _ in range(5):
        r = await client.post(url, json={"driver": "stdout", "config": {}})
        assert r.status_code == 201, r.text
        ids.append(r.json()["data"]["id"])
    assert await walk(client, url, 2) == [ids[0:2], ids[2:4], ids[4:]]
    everything = await page(client, url)  # no parameter (as the spec has it): the first page
    assert [e["id"] for e in everything["data"]] == ids and everything["hasMore"] is False

    for bad in ({"cursor": "not-a-cursor"}, {"pageSize": "x"}):
        r = await client.get(url, params=bad)
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", (bad, r.text)


async def test_pipelines_are_paged(client: httpx.AsyncClient, database: Database) -> None:
    assert (await client.post(f"{V2}/pl", json={})).status_code == 204
    assert (await client.post(f"{V2}/other", json={})).status_code == 204
    url = f"{V2}/pl/pipelines"
    assert await page(client, url) == {"pageSize": 15, "hasMore": False, "data": []}

    # Rows straight into the store: creating through the API starts Temporal workflows, which
    # this listing does not need.
    store = PgExporterStore(database)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = []
    for i in range(5):
        r = await client.post(f"{V2}/_/exporters", json={"driver": "stdout", "config": {}})
        exporter_id = r.json()["data"]["id"]
        ids.append(f"p{i}")
        assert await store.insert_pipeline(Pipeline(f"p{i}", "pl", exporter_id,
                                                    start + timedelta(seconds=i), True, 0))
        if i == 0:  # another ledger's pipeline is not listed
            assert await store.insert_pipeline(Pipeline("elsewhere", "other", exporter_id,
                                                        start, True, 0))
    assert await walk(client, url, 3) == [ids[0:3], ids[3:]]
    assert await walk(client, url, 5) == [ids]
    assert (await client.get(f"{V2}/ghost/pipelines")).status_code == 404
