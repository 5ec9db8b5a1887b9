"""The two write routes answered before the middleware stack (api/ledger/hot_writes.py) must
answer exactly as the full stack does: a request with an `Origin` header takes the full stack
(CORS), so the same request with and without it compares the two paths."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.ledger.hot_writes import is_hot
from tests.integration.ledger.helpers import BASE, create_ledger, posting

FULL_STACK = {"Origin": "http://browser.example"}


def _scope(path: str, method: str = "POST", headers: list[tuple[bytes, bytes]] | None = None
           ) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": headers or [],
            "root_path": ""}


def test_only_the_two_write_routes_are_hot() -> None:
    assert is_hot(_scope("/api/ledger/v2/main/transactions"))
    assert is_hot(_scope("/api/ledger/v2/main/_bulk"))
    assert not is_hot(_scope("/api/ledger/v2/main/transactions", method="GET"))
    assert not is_hot(_scope("/api/ledger/v2/main/transactions/1/revert"))
    assert not is_hot(_scope("/api/ledger/v2/main/transactions",
                             headers=[(b"origin", b"http://x")]))
    assert not is_hot(_scope("/api/ledger/main/transactions"))  # v1


@pytest.mark.parametrize("body, status, code", [
    (b'{"postings": [', 400, "VALIDATION"),
    (b'{"postings": [{"source": "world", "destination": "a", "amount": -1, "asset": "USD"}]}',
     400, "VALIDATION"),
    (b'{"postings": [{"source": "alice", "destination": "a", "amount": 5, "asset": "USD"}]}',
     400, "INSUFFICIENT_FUND"),
])
async def test_errors_are_those_of_the_full_stack(client: httpx.AsyncClient, body: bytes,
                                                  status: int, code: str) -> None:
    await create_ledger(client)
    answers = []
    for headers in ({}, FULL_STACK):
        r = await client.post(f"{BASE}/main/transactions", content=body,
                              headers={"Content-Type": "application/json", **headers})
        assert r.status_code == status, r.text
        assert r.json()["errorCode"] == code
        answers.append(r.json())
    assert answers[0] == answers[1]


async def test_unknown_ledger_is_404_on_both_paths(client: httpx.AsyncClient) -> None:
    for headers in ({}, FULL_STACK):
        r = await client.post(f"{BASE}/nowhere/transactions", headers=headers,
                              json={"postings": [posting("world", "a", 1)]})
        assert r.status_code == 404 and r.json()["errorCode"] == "LEDGER_NOT_FOUND"


async def test_a_write_answers_alike_and_cors_still_decorates(client: httpx.AsyncClient) -> None:
    await create_ledger(client)
    hot = await client.post(f"{BASE}/main/transactions",
                            json={"postings": [posting("world", "a", 1)]})
    full = await client.post(f"{BASE}/main/transactions", headers=FULL_STACK,
                             json={"postings": [posting("world", "a", 1)]})
    assert hot.status_code == full.status_code == 200
    assert full.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in hot.headers
    assert set(hot.json()["data"]) == set(full.json()["data"])
    assert (hot.json()["data"]["id"], full.json()["data"]["id"]) == (1, 2)
    metrics = (await client.get("/api/ledger/_/metrics")).json()
    assert metrics["requests"]["POST /v2/{ledger}/transactions"] >= 2
    assert metrics["writeBatches"]["main"]["optimistic"] >= 1
