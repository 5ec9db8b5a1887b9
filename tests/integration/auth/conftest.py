"""Fixtures for the auth tests: an app with auth enabled on the test database, clients created
through the real use-cases, and a helper to obtain tokens over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from auth_helpers import BASE_URL, TOKEN_URL, GetToken, MakeClient, free_port, http_client

from api.app import create_app
from config.settings import Settings
from domain.auth.models import ClientOptions
from domain.auth.scopes import all_stack_scopes
from domain.auth.service import AuthAdmin
from storage.auth.store import SqlAuthStore
from storage.database import Database


@pytest.fixture
def auth_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, temporal_address=f"127.0.0.1:{free_port()}",
                    auth_enabled=True, public_base_url=BASE_URL)


@pytest.fixture
async def auth_http(auth_settings: Settings, database: Database
                    ) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(create_app(auth_settings, database=database)) as c:
        yield c


@pytest.fixture
def admin(database: Database) -> AuthAdmin:
    return AuthAdmin(SqlAuthStore(database))


@pytest.fixture
def make_client(admin: AuthAdmin) -> MakeClient:
    async def make(scopes: tuple[str, ...] = all_stack_scopes(), name: str = "test"
                   ) -> tuple[str, str]:
        client = await admin.create_client(ClientOptions(name=name, scopes=scopes))
        secret = await admin.create_secret(client.id, "main")
        return client.id, secret.clear

    return make


@pytest.fixture
def get_token(auth_http: httpx.AsyncClient) -> GetToken:
    async def get(client_id: str, secret: str, scope: str | None = None,
                  http: httpx.AsyncClient | None = None) -> str:
        form = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": secret}
        if scope is not None:
            form["scope"] = scope
        resp = await (http or auth_http).post(TOKEN_URL, data=form)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])

    return get


@pytest.fixture
async def full_token(make_client: MakeClient, get_token: GetToken) -> str:
    client_id, secret = await make_client()
    return await get_token(client_id, secret)
