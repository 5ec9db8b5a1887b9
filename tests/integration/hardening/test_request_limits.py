"""Request size limits (`LIMIT_*` settings, api/input_guard.py and the ledger's parser): each one
refused with a clear 4xx, on the ledger's hot write routes as on the full stack, before anything
is written, and a body over the limit before it has been read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest

from api.app import GatewayApp, create_app
from config.settings import Settings
from tests.conftest import free_port
from tests.integration.ledger.helpers import BASE, create_ledger, posting

FULL_STACK = {"Origin": "http://browser.example"}
PATHS = pytest.mark.parametrize("headers", [{}, FULL_STACK], ids=["hot-path", "full-stack"])


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, temporal_address=f"127.0.0.1:{free_port()}",
                    limit_body_bytes=4096, limit_postings_per_transaction=3,
                    limit_bulk_elements=2, limit_metadata_keys=8,
                    limit_metadata_value_chars=100, limit_script_chars=300)


def refused(r: httpx.Response, status: int, code: str, *words: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.text
    for word in words:
        assert word in r.json()["errorMessage"], r.text


async def no_transactions(client: httpx.AsyncClient) -> None:
    listed = await client.get(f"{BASE}/main/transactions")
    assert listed.json()["cursor"]["data"] == []


@PATHS
async def test_body_over_the_limit(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    await create_ledger(client)
    big = {"postings": [posting("world", "a", 1)], "metadata": {"k": "x" * 5000}}
    r = await client.post(f"{BASE}/main/transactions", json=big, headers=headers)
    refused(r, 413, "VALIDATION", "LIMIT_BODY_BYTES")
    r = await client.post(f"{BASE}/main/_bulk", json=[{"action": "CREATE_TRANSACTION",
                                                       "data": big}], headers=headers)
    refused(r, 413, "BULK_SIZE_EXCEEDED", "LIMIT_BODY_BYTES")
    await no_transactions(client)


async def test_every_module_has_the_body_limit(client: httpx.AsyncClient) -> None:
    for path in ("/api/wallets/wallets", "/api/webhooks/configs", "/api/auth/clients",
                 "/api/ledger/main/transactions"):
        r = await client.post(path, json={"name": "x" * 5000})
        refused(r, 413, "VALIDATION", "LIMIT_BODY_BYTES")


async def test_chunked_body_refused_while_streaming(client: httpx.AsyncClient) -> None:
    """No Content-Length: refused as soon as the limit is passed, the rest never read."""
    await create_ledger(client)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"postings": [], "metadata": {"k": "'
        for _ in range(1000):
            sent += 1
            yield b"x" * 1024
        yield b'"}}'

    r = await client.post(f"{BASE}/main/transactions", content=chunks(),
                          headers={"Content-Type": "application/json"})
    refused(r, 413, "VALIDATION", "LIMIT_BODY_BYTES")
    assert sent < 10


async def test_content_length_alone_refuses_before_reading(settings: Settings,
                                                           database: Any) -> None:
    """The declared length decides: the app answers without asking for a single byte."""
    app = create_app(settings, database=database)
    received: list[Any] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/ledger/v2/main/transactions",
             "raw_path": b"/api/ledger/v2/main/transactions", "root_path": "",
             "query_string": b"", "server": ("testserver", 80), "client": ("c", 1),
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", b"10000000000")]}
    await app(scope, receive, send)
    assert received == []
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["errorCode"] == "VALIDATION"


@PATHS
async def test_postings_per_transaction(client: httpx.AsyncClient,
                                        headers: dict[str, str]) -> None:
    await create_ledger(client)
    r = await client.post(f"{BASE}/main/transactions", headers=headers, json={
        "postings": [posting("world", "a", 1)] * 4})
    refused(r, 400, "VALIDATION", "body.postings", "limit is 3")
    r = await client.post(f"{BASE}/main/transactions", headers=headers, json={
        "postings": [posting("world", "a", 1)] * 3})
    assert r.status_code == 200, r.text


@PATHS
async def test_bulk_elements(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    await create_ledger(client)
    element = {"action": "CREATE_TRANSACTION", "data": {"postings": [posting("world", "a", 1)]}}
    r = await client.post(f"{BASE}/main/_bulk", json=[element] * 3, headers=headers)
    refused(r, 413, "BULK_SIZE_EXCEEDED", "maximum is 2")
    await no_transactions(client)
    r = await client.post(f"{BASE}/main/_bulk", json=[element] * 2, headers=headers)
    assert r.status_code == 200, r.text


@PATHS
async def test_metadata_keys_and_value_size(client: httpx.AsyncClient,
                                            headers: dict[str, str]) -> None:
    await create_ledger(client)
    one = [posting("world", "a", 1)]
    r = await client.post(f"{BASE}/main/transactions", headers=headers, json={
        "postings": one, "metadata": {f"k{i}": "v" for i in range(9)}})
    refused(r, 400, "VALIDATION", "metadata has 9 keys", "limit is 8")
    r = await client.post(f"{BASE}/main/transactions", headers=headers, json={
        "postings": one, "metadata": {"k": "v" * 101}})
    refused(r, 400, "VALIDATION", "metadata['k']", "101 characters")
    r = await client.post(f"{BASE}/main/transactions", headers=headers, json={
        "postings": one, "accountMetadata": {"a": {"k" * 101: "v"}}})
    refused(r, 400, "VALIDATION", "accountMetadata", "key has 101 characters")
    await no_transactions(client)


async def test_metadata_limits_on_other_writes(client: httpx.AsyncClient) -> None:
    await create_ledger(client)
    too_many = {f"k{i}": "v" for i in range(9)}
    for method, path, doc in [
        ("PUT", f"{BASE}/main/metadata", too_many),
        ("POST", f"{BASE}/main/accounts/a/metadata", too_many),
        ("POST", "/api/ledger/main/accounts/a/metadata", too_many),
        ("POST", "/api/wallets/wallets", {"name": "w", "metadata": too_many}),
    ]:
        r = await client.request(method, path, json=doc)
        refused(r, 400, "VALIDATION", "limit is 8")
    wallets = await client.get("/api/wallets/wallets")
    assert wallets.json()["cursor"]["data"] == []


@PATHS
async def test_script_size(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    await create_ledger(client)
    script = "send [USD 1] (source = @world destination = @a)\n"
    padded = script + "// " + "x" * (301 - len(script) - 3)
    r = await client.post(f"{BASE}/main/transactions", headers=headers,
                          json={"script": {"plain": padded}})
    refused(r, 400, "VALIDATION", "body.script.plain", "301 characters")
    r = await client.post(f"{BASE}/main/transactions", headers=headers,
                          json={"script": {"plain": script}})
    assert r.status_code == 200, r.text


async def test_defaults_are_generous(database_url: str, database: Any) -> None:
    app = create_app(Settings(database_url=database_url,
                              temporal_address=f"127.0.0.1:{free_port()}"), database=database)
    assert isinstance(app, GatewayApp)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await create_ledger(client)
        # A transaction of 500 postings with 20 metadata values of 1,000 characters (60 KB).
        r = await client.post(f"{BASE}/main/transactions", json={
            "postings": [posting("world", f"a:{i}", 1) for i in range(500)],
            "metadata": {f"k{i}": "v" * 1000 for i in range(20)}})
        assert r.status_code == 200, r.text
        # A bulk of 100 transactions, each with its own metadata.
        r = await client.post(f"{BASE}/main/_bulk", json=[
            {"action": "CREATE_TRANSACTION", "data": {
                "postings": [posting("world", f"b:{i}", 1), posting(f"b:{i}", "c", 1)],
                "metadata": {"order": f"order-{i:08d}", "customer": f"customer-{i:08d}",
                             "note": "n" * 100}}} for i in range(100)])
        assert r.status_code == 200, r.text
    # Both were above 4 KiB, so served within the in-flight budget: given back once answered.
    assert app.input_guard is not None and app.input_guard.in_flight.used == 0
