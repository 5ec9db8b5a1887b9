"""The clients the stack needs cannot be destroyed through the API (issue 14, point 4): the
bootstrap client, whether marked by the bootstrap (`make run`) or named in the settings
(AUTH_BOOTSTRAP_CLIENT_ID), refuses deletion, replacement and the loss of its bootstrap secret
with a 400 VALIDATION, and keeps issuing tokens; other clients are untouched."""

from __future__ import annotations

import httpx
import pytest
from auth_helpers import BASE_URL, GetToken, MakeClient, bearer, free_port, http_client
from pydantic import SecretStr

from api.app import create_app
from config.settings import Settings
from domain.auth.models import ClientOptions
from domain.auth.service import SYSTEM_CLIENT_KEY, AuthAdmin
from storage.auth.bootstrap import ensure_bootstrap_client
from storage.database import Database

BOOT_ID = "ops-bootstrap"
BOOT_SECRET = "a-long-enough-bootstrap-secret-0123456789"


@pytest.fixture
async def headers(make_client: MakeClient, get_token: GetToken) -> dict[str, str]:
    client_id, secret = await make_client(("auth:read", "auth:write"), name="admin")
    return bearer(await get_token(client_id, secret))


def _refused(r: httpx.Response, *fragments: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["errorCode"] == "VALIDATION", r.text
    for fragment in fragments:
        assert fragment in body["errorMessage"], r.text


async def _attempt_everything(http: httpx.AsyncClient, headers: dict[str, str],
                              client_id: str) -> None:
    client = (await http.get(f"/api/auth/clients/{client_id}", headers=headers)).json()["data"]
    [boot_secret] = [s for s in client["secrets"] if s["name"] == "bootstrap"]
    _refused(await http.delete(f"/api/auth/clients/{client_id}", headers=headers),
             f"auth client {client_id!r} cannot be deleted", "auth module")
    _refused(await http.put(f"/api/auth/clients/{client_id}", headers=headers,
                            json={"name": "mine now", "scopes": []}),
             "cannot be changed")
    _refused(await http.delete(f"/api/auth/clients/{client_id}/secrets/{boot_secret['id']}",
                               headers=headers),
             "cannot be stripped of its bootstrap secret")
    # Another secret of the same client is the caller's to add and remove.
    extra = await http.post(f"/api/auth/clients/{client_id}/secrets", headers=headers,
                            json={"name": "ci"})
    assert extra.status_code == 200, extra.text
    r = await http.delete(
        f"/api/auth/clients/{client_id}/secrets/{extra.json()['data']['id']}", headers=headers)
    assert r.status_code == 204, r.text
    after = (await http.get(f"/api/auth/clients/{client_id}", headers=headers)).json()["data"]
    assert after == client


async def test_bootstrap_client_survives_every_destructive_call(
        auth_http: httpx.AsyncClient, database: Database, headers: dict[str, str],
        get_token: GetToken) -> None:
    # As `make run` creates it: the API process is not told its id, the mark says it all.
    assert await ensure_bootstrap_client(database, BOOT_ID, BOOT_SECRET)
    await _attempt_everything(auth_http, headers, BOOT_ID)
    assert await get_token(BOOT_ID, BOOT_SECRET)  # the operator is not locked out


async def test_client_named_in_the_settings_is_protected_without_the_mark(
        database_url: str, database: Database, admin: AuthAdmin, headers: dict[str, str],
        get_token: GetToken) -> None:
    # A bootstrap client from before the mark existed, or made by hand: the settings name it.
    client = await admin.create_client(ClientOptions(name="boot", scopes=("auth:read",)),
                                       client_id="declared-boot")
    await admin.create_secret(client.id, "bootstrap")
    settings = Settings(database_url=database_url, temporal_address=f"127.0.0.1:{free_port()}",
                        auth_enabled=True, public_base_url=BASE_URL,
                        auth_bootstrap_client_id="declared-boot",
                        auth_bootstrap_client_secret=SecretStr(BOOT_SECRET))
    async with http_client(create_app(settings, database=database)) as http:
        await _attempt_everything(http, headers, "declared-boot")


async def test_a_restart_marks_a_bootstrap_client_created_before_the_mark(
        auth_http: httpx.AsyncClient, database: Database, admin: AuthAdmin,
        headers: dict[str, str]) -> None:
    await admin.create_client(ClientOptions(name="bootstrap", metadata={"team": "ops"}),
                              client_id="old-boot")
    assert await ensure_bootstrap_client(database, "old-boot", BOOT_SECRET)  # its secret: new
    marked = await admin.read_client("old-boot")
    assert marked.metadata["team"] == "ops" and SYSTEM_CLIENT_KEY in marked.metadata
    assert marked.name == "bootstrap"
    _refused(await auth_http.delete("/api/auth/clients/old-boot", headers=headers),
             "cannot be deleted")
    # The next start changes nothing.
    assert not await ensure_bootstrap_client(database, "old-boot", BOOT_SECRET)
    assert await admin.read_client("old-boot") == marked


async def test_the_mark_is_reserved(auth_http: httpx.AsyncClient, headers: dict[str, str]
                                    ) -> None:
    r = await auth_http.post("/api/auth/clients", headers=headers,
                             json={"name": "sneaky", "metadata": {SYSTEM_CLIENT_KEY: "x"}})
    _refused(r, "reserved")
    r = await auth_http.post("/api/auth/clients", headers=headers, json={"name": "plain"})
    assert r.status_code == 201, r.text
    cid = r.json()["data"]["id"]
    r = await auth_http.put(f"/api/auth/clients/{cid}", headers=headers,
                            json={"name": "plain", "metadata": {SYSTEM_CLIENT_KEY: "x"}})
    _refused(r, "reserved")
    # An ordinary client stays the caller's to delete.
    r = await auth_http.delete(f"/api/auth/clients/{cid}", headers=headers)
    assert r.status_code == 204, r.text
