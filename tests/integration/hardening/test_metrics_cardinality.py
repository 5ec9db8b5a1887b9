"""`GET /api/ledger/_/metrics` counts requests per method and route template: junk paths and
made-up methods add to a fixed set of keys instead of one key each (which grew without bound)."""

from __future__ import annotations

import httpx

from tests.integration.ledger.helpers import BASE, create_ledger, posting

METRICS = "/api/ledger/_/metrics"


async def test_keys_stay_bounded(client: httpx.AsyncClient) -> None:
    await create_ledger(client)
    before = (await client.get(METRICS)).json()["requests"]
    for i in range(300):
        r = await client.get(f"/api/ledger/junk-{i}/x/y/z")
        assert r.status_code == 404
        await client.request(f"X{i}", f"/api/ledger/junk-{i}/x/y/z")
        await client.get(f"{BASE}/ledger-{i}/transactions")  # a real route, 300 ledger names
    after = (await client.get(METRICS)).json()["requests"]
    new_keys = set(after) - set(before)
    assert not [k for k in after if "junk" in k or "ledger-" in k], new_keys
    assert len(new_keys) <= 4, new_keys  # unmatched (GET and OTHER), the list route, metrics
    assert after["GET (unmatched)"] - before.get("GET (unmatched)", 0) == 300
    assert after["OTHER (unmatched)"] - before.get("OTHER (unmatched)", 0) == 300
    assert after["GET /v2/{ledger}/transactions"] \
        - before.get("GET /v2/{ledger}/transactions", 0) == 300


async def test_hot_write_routes_are_counted_by_template(client: httpx.AsyncClient) -> None:
    await create_ledger(client)
    before = (await client.get(METRICS)).json()["requests"].get(
        "POST /v2/{ledger}/transactions", 0)
    r = await client.post(f"{BASE}/main/transactions", json={"postings": [
        posting("world", "a", 1)]})
    assert r.status_code == 200
    after = (await client.get(METRICS)).json()["requests"]["POST /v2/{ledger}/transactions"]
    assert after == before + 1
