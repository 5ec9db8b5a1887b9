"""The gateway layout every Formance client relies on: /versions, /_info per module, the error
envelope, health that really checks its dependencies."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from api.modules import modules
from config.settings import Settings
from storage.database import Database

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


async def test_health_is_green_with_both_dependencies_up(
    database: Database, database_url: str, temporal_address: str
):
    app = create_app(Settings(database_url=database_url, temporal_address=temporal_address),
                     database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        resp = await c.get("/_healthcheck")
        assert resp.status_code == 200, resp.text
        versions = (await c.get("/versions")).json()["versions"]
        assert all(v["health"] for v in versions)
        assert len(versions) == len(modules())
