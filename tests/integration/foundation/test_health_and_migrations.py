"""Health reflects the real state of PostgreSQL and of the tables a module needs; migrations can
be applied any number of times."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from config.settings import Settings
from storage import migrate
from storage.database import Database
from tests.conftest import free_port
from workers.embedded_postgres import EmbeddedPostgres


async def test_health_turns_503_naming_postgresql_when_it_stops(tmp_path: Path):
    server = EmbeddedPostgres(tmp_path / "pg", free_port(), fast_unsafe=True)
    server.start()
    db = Database(server.url("postgres"), pool_size=2)
    app = create_app(Settings(database_url=server.url("postgres"),
                              temporal_address=f"127.0.0.1:{free_port()}"), database=db)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            # A module is not healthy without its tables.
            resp = await c.get("/api/ledger/_healthcheck")
            assert resp.status_code == 503
            assert "table ledgers is missing" in resp.json()["errorMessage"]
            await migrate.upgrade(db.engine)
            assert (await c.get("/api/ledger/_healthcheck")).status_code == 200
            server.stop()
            resp = await c.get("/api/ledger/_healthcheck")
            assert resp.status_code == 503
            body = resp.json()
            assert body["errorCode"] == "SERVICE_UNAVAILABLE"
            assert "PostgreSQL" in body["errorMessage"]
            assert f"127.0.0.1:{server.port}" in body["errorMessage"]
            versions = (await c.get("/versions")).json()["versions"]
            assert not any(v["health"] for v in versions)
    finally:
        server.stop()
        await db.dispose()


async def _schema(url: str) -> list[tuple[str, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY 1, 2"))
            return [tuple(r) for r in rows]
    finally:
        await engine.dispose()


async def test_migrations_are_idempotent(database_url: str):
    before = await _schema(database_url)
    engine = create_async_engine(database_url)
    try:
        assert await migrate.current_revision(engine) == migrate.head_revision()
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()
    assert await _schema(database_url) == before
    assert ("events_outbox", "envelope") in before
