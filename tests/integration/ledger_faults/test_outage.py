"""PostgreSQL unreachable: every module answers 503 with a Formance error, reads and writes
alike, keeps the client's keep-alive connection, and recovers without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from api.app import create_app
from config.settings import Settings
from storage.database import Database
from tests.conftest import free_port
from tests.integration.ledger.helpers import BASE, create_ledger, posting, send
from tests.support.fault_proxy import FaultProxy

UNAVAILABLE = {"errorCode": "INTERNAL", "errorMessage": "database unavailable, retry"}


async def test_an_outage_answers_503_on_reads_and_writes_and_recovers(
        client: httpx.AsyncClient, fault_proxy: FaultProxy,
        caplog: pytest.LogCaptureFixture) -> None:
    ledger = await create_ledger(client, "outage")
    assert (await send(client, ledger, posting("world", "a", 1))).status_code in (200, 201)
    fault_proxy.down()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        answers = [
            await client.get(f"{BASE}/{ledger}/transactions"),
            await client.get(f"{BASE}/{ledger}/accounts/a"),
            await client.get(f"{BASE}"),  # list ledgers
            await client.post(f"{BASE}/fresh-ledger", json={}),
            await send(client, ledger, posting("world", "a", 1)),
            await send(client, ledger, posting("world", "a", 1),
                       headers={"Idempotency-Key": "o-1"}),
            await client.get("/api/webhooks/configs"),
            await client.get("/api/wallets/wallets"),
        ]
    for r in answers:
        assert r.status_code == 503, (r.request.url, r.text)
        assert r.json() == UNAVAILABLE, r.text
        assert r.headers.get("Retry-After") == "1"
    tracebacks = [rec for rec in caplog.records if rec.exc_info]
    assert not tracebacks, "an outage is logged in one line per failure, without traceback"
    fault_proxy.up()
    r = await send(client, ledger, posting("world", "a", 1), headers={"Idempotency-Key": "o-1"})
    assert r.status_code in (200, 201), r.text
    assert (await client.get(f"{BASE}/{ledger}/transactions")).status_code == 200
    assert (await client.get(f"{BASE}/{ledger}/accounts/a")).json()["data"]["address"] == "a"


@contextlib.asynccontextmanager
async def _server(settings: Settings, database: Database) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(create_app(settings, database=database), host="127.0.0.1",
                            port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1000):  # uvicorn sets a flag, not an event
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def _ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
               ) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    lines = head.decode().split("\r\n")
    length = next(int(h.split(":")[1]) for h in lines if h.lower().startswith("content-length"))
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def test_a_keep_alive_connection_is_answered_and_kept_through_an_outage(
        settings: Settings, proxied_database: Database, fault_proxy: FaultProxy) -> None:
    async with _server(settings, proxied_database) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert await _ask(reader, writer, f"{BASE}/nowhere/transactions") == 404
            fault_proxy.down()
            # the ledger lookup that reached the catch-all handler before
            assert await _ask(reader, writer, f"{BASE}/other/transactions") == 503
            assert await _ask(reader, writer, f"{BASE}") == 503
            fault_proxy.up()
            assert await _ask(reader, writer, f"{BASE}") == 200  # same connection
        finally:
            writer.close()


async def test_a_read_on_a_server_that_never_answers_ends_in_503(
        settings: Settings, database_url: str, fault_proxy: FaultProxy,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from sqlalchemy import make_url

    from storage import database as database_module

    monkeypatch.setattr(database_module, "STATEMENT_TIMEOUT_S", 1.0)  # 60 s in production
    url = make_url(database_url).set(host="127.0.0.1", port=fault_proxy.port)
    db = Database(url.render_as_string(hide_password=False), pool_size=2)
    app = create_app(settings, database=db)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t", timeout=30) as client:
            ledger = await create_ledger(client, "hung")
            assert (await client.get(f"{BASE}/{ledger}/transactions")).status_code == 200
            fault_proxy.stall()  # the pooled connections hear nothing from now on
            started = time.monotonic()
            r = await client.get(f"{BASE}/{ledger}/transactions")
            assert r.status_code == 503, r.text
            assert r.json() == UNAVAILABLE
            assert time.monotonic() - started < 10
            fault_proxy.unstall()
            assert (await client.get(f"{BASE}/{ledger}/transactions")).status_code == 200
    finally:
        await db.dispose()
