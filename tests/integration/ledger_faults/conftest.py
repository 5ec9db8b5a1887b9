"""The app talks to the real PostgreSQL through a fault-injecting proxy (tests/support);
`database` (direct) is the test's own view of what was really written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import make_url

from api.app import create_app
from config.settings import Settings
from storage.database import Database
from tests.support.fault_proxy import FaultProxy


@pytest.fixture
async def fault_proxy(database_url: str) -> AsyncIterator[FaultProxy]:
    url = make_url(database_url)
    proxy = await FaultProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy
    await proxy.stop()


@pytest.fixture
async def proxied_database(database_url: str, fault_proxy: FaultProxy
                           ) -> AsyncIterator[Database]:
    url = make_url(database_url).set(host="127.0.0.1", port=fault_proxy.port)
    db = Database(url.render_as_string(hide_password=False), pool_size=10)
    yield db
    await db.dispose()


@pytest.fixture
async def client(settings: Settings, proxied_database: Database
                 ) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=proxied_database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                 timeout=60) as c:
        yield c
