"""The gateway layout every Formance client relies on: /versions, /_info per module, the error
envelope, health that really checks its dependencies."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from api.catalog import modules
from storage.database import Database
from tests.temporal_stack import ModuleStack

MODULES = {"auth", "ledger", "payments", "orchestration", "reconciliation", "search", "wallets",
           "webhooks"}


async def test_versions_lists_every_module_in_the_formance_shape(client: httpx.AsyncClient):
    resp = await client.get("/versions")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"region", "env", "versions"}
    assert {v["name"] for v in body["versions"]} == MODULES
    for v in body["versions"]:
        assert set(v) == {"name", "version", "health"}
        assert isinstance(v["health"], bool)
    by_name = {v["name"]: v["health"] for v in body["versions"]}
    # PostgreSQL is up and Temporal is not (the fixture points at a closed port): modules whose
    # processes run on Temporal report unhealthy, the others healthy.
    assert by_name["ledger"] is True
    assert by_name["webhooks"] is False


@pytest.mark.parametrize("module", sorted(MODULES))
async def test_every_module_answers_info(client: httpx.AsyncClient, module: str):
    resp = await client.get(f"/api/{module}/_info")
    assert resp.status_code == 200
    assert "version" in resp.text


async def test_unknown_path_is_a_404_in_the_formance_error_envelope(client: httpx.AsyncClient):
    resp = await client.get("/api/nothing/here")
    assert resp.status_code == 404
    assert resp.json()["errorCode"] == "NOT_FOUND"
    assert "/api/nothing/here" in resp.json()["errorMessage"]


async def test_wrong_method_uses_the_error_envelope(client: httpx.AsyncClient):
    resp = await client.delete("/versions")
    assert resp.status_code == 405
    assert set(resp.json()) == {"errorCode", "errorMessage"}


async def test_health_names_temporal_when_it_is_down(client: httpx.AsyncClient, settings):
    resp = await client.get("/_healthcheck")
    assert resp.status_code == 503
    body = resp.json()
    assert body["errorCode"] == "SERVICE_UNAVAILABLE"
    assert "Temporal" in body["errorMessage"]
    assert settings.effective_temporal_address in body["errorMessage"]
    # The ledger does not need Temporal, so its own health stays green.
    assert (await client.get("/api/ledger/_healthcheck")).status_code == 200


async def test_health_comes_from_what_each_module_needs(
    database: Database, database_url: str, temporal_address: str, temporal_env: Any
):
    """Both dependencies up: the gateway is healthy; auth and ledger serve; wallets is healthy
    only while a worker polls its task queue; webhooks, payments, orchestration and
    reconciliation have none here; search needs no worker (its indexer is in the dispatcher)."""
    stack = ModuleStack("wallets", temporal_env, database, database_url, temporal_address)
    async with stack.http("http://t") as c:
        resp = await c.get("/_healthcheck")
        assert resp.status_code == 200, resp.text

        async def health() -> dict[str, bool]:
            versions = (await c.get("/versions")).json()["versions"]
            assert len(versions) == len(modules(stack.modules))
            return {v["name"]: v["health"] for v in versions}

        assert await health() == {
            "auth": True, "ledger": True, "wallets": False, "webhooks": False,
            "payments": False, "orchestration": False, "reconciliation": False, "search": True}
        resp = await c.get("/api/wallets/_healthcheck")
        assert resp.status_code == 503
        assert f"no worker polls task queue {stack.task_queue}" in resp.json()["errorMessage"]
        resp = await c.get("/api/orchestration/_healthcheck")
        assert resp.status_code == 503
        assert "no worker polls task queue" in resp.json()["errorMessage"]

        async with stack.worker():
            deadline = time.monotonic() + 20
            while not (await health())["wallets"]:
                assert time.monotonic() < deadline, "the wallets worker never showed as a poller"
                await asyncio.sleep(0.2)
            assert (await c.get("/api/wallets/_healthcheck")).status_code == 200
