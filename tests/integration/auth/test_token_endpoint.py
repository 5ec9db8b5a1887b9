"""POST /api/auth/oauth/token: the client_credentials grant, RFC 6749 errors and scope rules."""

from __future__ import annotations

import base64

import httpx
import pytest
from auth_helpers import TOKEN_URL, GetToken, MakeClient, decode_part

from config.settings import Settings


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def test_form_credentials_yield_a_bearer_token_with_every_given_scope(
    auth_http: httpx.AsyncClient, make_client: MakeClient, auth_settings: Settings
):
    client_id, secret = await make_client(("ledger:read", "payments:write"))
    resp = await auth_http.post(TOKEN_URL, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == auth_settings.auth_token_ttl_seconds
    assert body["scope"].split() == ["ledger:read", "payments:write"]
    header, claims = decode_part(body["access_token"], 0), decode_part(body["access_token"], 1)
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == "http://testserver/api/auth"
    assert claims["aud"] == "http://testserver"
    assert claims["sub"] == client_id == claims["client_id"]
    assert claims["exp"] - claims["iat"] == auth_settings.auth_token_ttl_seconds
    assert claims["scope"] == "ledger:read payments:write"
    jwks = (await auth_http.get("/api/auth/keys")).json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}


async def test_basic_credentials_are_accepted(auth_http: httpx.AsyncClient,
                                              make_client: MakeClient):
    client_id, secret = await make_client(("ledger:read",))
    resp = await auth_http.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                                headers=_basic(client_id, secret))
    assert resp.status_code == 200, resp.text
    assert resp.json()["scope"] == "ledger:read"


async def test_requested_scopes_are_narrowed_to_the_given_ones(
    auth_http: httpx.AsyncClient, make_client: MakeClient
):
    client_id, secret = await make_client(("ledger:read", "ledger:write"))
    resp = await auth_http.post(TOKEN_URL, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": "ledger:read payments:write"})
    assert resp.status_code == 200
    assert resp.json()["scope"] == "ledger:read"
    assert decode_part(resp.json()["access_token"], 1)["scope"] == "ledger:read"


async def test_asking_only_for_scopes_never_given_is_invalid_scope(
    auth_http: httpx.AsyncClient, make_client: MakeClient
):
    client_id, secret = await make_client(("ledger:read",))
    resp = await auth_http.post(TOKEN_URL, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": "auth:write"})
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("how", ["wrong-secret", "unknown-client", "no-secret", "basic-wrong"])
async def test_bad_client_credentials_are_401_invalid_client(
    auth_http: httpx.AsyncClient, make_client: MakeClient, how: str
):
    client_id, secret = await make_client()
    form = {"grant_type": "client_credentials", "client_id": client_id,
            "client_secret": secret + "x"}
    headers: dict[str, str] = {}
    if how == "unknown-client":
        form = {**form, "client_id": "nobody", "client_secret": secret}
    elif how == "no-secret":
        form = {"grant_type": "client_credentials", "client_id": client_id}
    elif how == "basic-wrong":
        form = {"grant_type": "client_credentials"}
        headers = _basic(client_id, "not-the-secret")
    resp = await auth_http.post(TOKEN_URL, data=form, headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"
    assert resp.headers["www-authenticate"].startswith("Basic")
    assert "access_token" not in resp.text


async def test_missing_and_unsupported_grant_types(auth_http: httpx.AsyncClient,
                                                   make_client: MakeClient):
    client_id, secret = await make_client()
    creds = {"client_id": client_id, "client_secret": secret}
    missing = await auth_http.post(TOKEN_URL, data=creds)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    password = await auth_http.post(TOKEN_URL, data={**creds, "grant_type": "password"})
    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"


async def test_json_bodies_and_two_authentication_methods_are_invalid_requests(
    auth_http: httpx.AsyncClient, make_client: MakeClient
):
    client_id, secret = await make_client()
    as_json = await auth_http.post(TOKEN_URL, json={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    both = await auth_http.post(
        TOKEN_URL, headers=_basic(client_id, secret),
        data={"grant_type": "client_credentials", "client_secret": secret})
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    repeated = await auth_http.post(
        TOKEN_URL, content=f"grant_type=client_credentials&client_id={client_id}"
        f"&client_secret={secret}&scope=a&scope=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"


async def test_token_endpoint_needs_no_bearer_token(auth_http: httpx.AsyncClient,
                                                    get_token: GetToken,
                                                    make_client: MakeClient):
    client_id, secret = await make_client()
    assert await get_token(client_id, secret)
