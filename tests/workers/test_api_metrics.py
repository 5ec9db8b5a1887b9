"""`GET /metrics` of the API (api/metrics.py): requests by method, route template and status
class, their latency histogram, and ledger writes, for the hot write path and the full stack
alike; a client sending junk paths adds no series."""

from __future__ import annotations

import httpx

from api.app import create_app
from config.settings import Settings
from domain.auth.models import ClientOptions
from domain.auth.service import AuthAdmin
from storage.auth.store import SqlAuthStore
from storage.database import Database
from tests.conftest import free_port
from tests.integration.ledger.helpers import BASE, create_ledger, posting
from tests.workers.scrape import label_values, samples, value

TX_ROUTE = "/api/ledger/v2/{ledger}/transactions"
ONE_TX_ROUTE = "/api/ledger/v2/{ledger}/transactions/{id}"


async def _scrape(client: httpx.AsyncClient) -> dict:  # type: ignore[type-arg]
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return samples(r.text)


async def test_requests_are_counted_by_route_template_status_class_and_timed(
        client: httpx.AsyncClient) -> None:
    before = await _scrape(client)
    await create_ledger(client)
    for headers in ({}, {"Origin": "http://browser.example"}):  # the hot path, the full stack
        r = await client.post(f"{BASE}/main/transactions", headers=headers,
                              json={"postings": [posting("world", "a", 5)]})
        assert r.status_code == 200, r.text
    refused = await client.post(f"{BASE}/main/transactions",
                                json={"postings": [posting("nobody", "a", 5)]})
    assert refused.status_code == 400
    for tx in (1, 2, 999):
        await client.get(f"{BASE}/main/transactions/{tx}")
    for junk in range(20):
        await client.get(f"/junk/{junk}/path")
    after = await _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "ledgerflow_http_requests_total"
    assert delta(requests, method="POST", route=TX_ROUTE, status="2xx") == 2
    assert delta(requests, method="POST", route=TX_ROUTE, status="4xx") == 1
    assert delta(requests, method="GET", route=ONE_TX_ROUTE, status="2xx") == 2
    assert delta(requests, method="GET", route=ONE_TX_ROUTE, status="4xx") == 1
    assert delta(requests, method="GET", route="(unmatched)", status="4xx") == 20
    latency = "ledgerflow_http_request_duration_seconds"
    assert delta(f"{latency}_count", method="POST", route=TX_ROUTE) == 3
    assert delta(f"{latency}_bucket", method="POST", route=TX_ROUTE, le="+Inf") == 3
    assert delta(f"{latency}_sum", method="POST", route=TX_ROUTE) > 0
    writes = "ledgerflow_ledger_writes_total"
    assert delta(writes, route=TX_ROUTE, status="2xx") == 2
    assert delta(writes, route=TX_ROUTE, status="4xx") == 1
    # The writes went through the set-based path, in batches this process counted.
    batches = "ledgerflow_ledger_write_batches_total"
    assert sum(delta(batches, kind=k) for k in ("optimistic", "locked")) >= 1
    # The overdraft was refused by the optimistic statement's own balance check first.
    assert delta(batches, kind="refused") >= 1
    # Their sizes: three one-transaction batches (the requests came one after the other).
    size = "ledgerflow_ledger_write_batch_size"
    assert delta(f"{size}_count") == 3
    assert delta(f"{size}_bucket", le="1.0") == 3
    assert delta(f"{size}_sum") == 3
    # Bounded cardinality: templates only, never a raw path.
    routes = label_values(after, requests, "route")
    assert not any("junk" in r or r.endswith(("/1", "/999")) for r in routes), routes
    assert all(r == "(unmatched)" or r.startswith("/") for r in routes)


async def test_with_auth_on_a_scraper_needs_a_token_and_any_valid_one_will_do(
        database: Database, database_url: str) -> None:
    settings = Settings(database_url=database_url, temporal_address=f"127.0.0.1:{free_port()}",
                        auth_enabled=True, public_base_url="http://testserver")
    admin = AuthAdmin(SqlAuthStore(database))
    scraper = await admin.create_client(ClientOptions(name="prometheus",
                                                      scopes=("ledger:read",)))
    secret = (await admin.create_secret(scraper.id, "main")).clear
    transport = httpx.ASGITransport(app=create_app(settings, database=database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/metrics")).status_code == 401
        token = (await http.post("/api/auth/oauth/token", data={
            "grant_type": "client_credentials", "client_id": scraper.id,
            "client_secret": secret})).json()["access_token"]
        r = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert "ledgerflow_http_requests_total" in r.text
