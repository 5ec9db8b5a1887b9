"""The Formance auth management API: clients CRUD, secrets, users, discovery, and secret
rotation, called over HTTP with a bearer token holding the auth scopes."""

from __future__ import annotations

import httpx
import pytest
from auth_helpers import TOKEN_URL, GetToken, MakeClient, bearer

from domain.auth.service import AuthAdmin


@pytest.fixture
async def headers(make_client: MakeClient, get_token: GetToken) -> dict[str, str]:
    client_id, secret = await make_client(("auth:read", "auth:write"), name="admin")
    return bearer(await get_token(client_id, secret))


async def test_client_lifecycle(auth_http: httpx.AsyncClient, headers: dict[str, str]):
    created = await auth_http.post("/api/auth/clients", headers=headers, json={
        "name": "backoffice", "description": "internal", "scopes": ["ledger:read"],
        "redirectUris": ["https://app.example/cb"], "metadata": {"team": "ops"}})
    assert created.status_code == 201, created.text
    client = created.json()["data"]
    assert client["name"] == "backoffice" and client["description"] == "internal"
    assert client["scopes"] == ["ledger:read"]
    assert client["redirectUris"] == ["https://app.example/cb"]
    assert client["metadata"] == {"team": "ops"} and client["secrets"] == []
    cid = client["id"]

    read = await auth_http.get(f"/api/auth/clients/{cid}", headers=headers)
    assert read.status_code == 200 and read.json()["data"] == client
    listed = await auth_http.get("/api/auth/clients", headers=headers)
    assert cid in {c["id"] for c in listed.json()["data"]}

    updated = await auth_http.put(f"/api/auth/clients/{cid}", headers=headers, json={
        "name": "backoffice-2", "scopes": ["ledger:read", "ledger:write"]})
    assert updated.status_code == 200
    assert updated.json()["data"]["name"] == "backoffice-2"
    assert updated.json()["data"]["scopes"] == ["ledger:read", "ledger:write"]
    assert updated.json()["data"]["redirectUris"] == []  # PUT replaces the options

    deleted = await auth_http.delete(f"/api/auth/clients/{cid}", headers=headers)
    assert deleted.status_code == 204
    gone = await auth_http.get(f"/api/auth/clients/{cid}", headers=headers)
    assert gone.status_code == 404 and gone.json()["errorCode"] == "NOT_FOUND"


async def test_unknown_client_is_404_for_every_verb(auth_http: httpx.AsyncClient,
                                                    headers: dict[str, str]):
    for method, path, body in [
        ("PUT", "/api/auth/clients/nope", {"name": "x"}),
        ("DELETE", "/api/auth/clients/nope", None),
        ("POST", "/api/auth/clients/nope/secrets", {"name": "x"}),
        ("DELETE", "/api/auth/clients/nope/secrets/nope", None),
    ]:
        resp = await auth_http.request(method, path, headers=headers, json=body)
        assert resp.status_code == 404, (method, path, resp.text)
        assert resp.json()["errorCode"] == "NOT_FOUND"


async def test_invalid_client_bodies_are_400(auth_http: httpx.AsyncClient,
                                             headers: dict[str, str]):
    no_name = await auth_http.post("/api/auth/clients", headers=headers, json={"scopes": []})
    assert no_name.status_code == 400 and no_name.json()["errorCode"] == "VALIDATION"
    bad_scope = await auth_http.post("/api/auth/clients", headers=headers,
                                     json={"name": "x", "scopes": ["ledger read"]})
    assert bad_scope.status_code == 400 and "scope" in bad_scope.json()["errorMessage"]


async def test_secret_is_shown_in_clear_once_and_never_again(
    auth_http: httpx.AsyncClient, headers: dict[str, str]
):
    cid = (await auth_http.post("/api/auth/clients", headers=headers,
                                json={"name": "svc"})).json()["data"]["id"]
    created = await auth_http.post(f"/api/auth/clients/{cid}/secrets", headers=headers,
                                   json={"name": "ci", "metadata": {"k": "v"}})
    assert created.status_code == 200, created.text
    secret = created.json()["data"]
    assert set(secret) == {"id", "name", "lastDigits", "clear", "metadata"}
    assert len(secret["clear"]) >= 40 and secret["clear"].endswith(secret["lastDigits"])
    client = (await auth_http.get(f"/api/auth/clients/{cid}", headers=headers)).json()["data"]
    assert client["secrets"] == [{"id": secret["id"], "name": "ci",
                                  "lastDigits": secret["lastDigits"], "metadata": {"k": "v"}}]
    listed = (await auth_http.get("/api/auth/clients", headers=headers)).text
    assert secret["clear"] not in listed and "scrypt" not in listed

    unknown = await auth_http.delete(f"/api/auth/clients/{cid}/secrets/nope", headers=headers)
    assert unknown.status_code == 404


async def test_secret_rotation_revokes_the_old_secret(
    auth_http: httpx.AsyncClient, headers: dict[str, str]
):
    cid = (await auth_http.post("/api/auth/clients", headers=headers, json={
        "name": "rotated", "scopes": ["ledger:read"]})).json()["data"]["id"]
    old = (await auth_http.post(f"/api/auth/clients/{cid}/secrets", headers=headers,
                                json={"name": "old"})).json()["data"]
    form = {"grant_type": "client_credentials", "client_id": cid}
    assert (await auth_http.post(TOKEN_URL, data={**form, "client_secret": old["clear"]})
            ).status_code == 200

    new = (await auth_http.post(f"/api/auth/clients/{cid}/secrets", headers=headers,
                                json={"name": "new"})).json()["data"]
    # During the overlap both secrets work, so a rollout can switch without downtime.
    for clear in (old["clear"], new["clear"]):
        assert (await auth_http.post(TOKEN_URL, data={**form, "client_secret": clear})
                ).status_code == 200

    deleted = await auth_http.delete(f"/api/auth/clients/{cid}/secrets/{old['id']}",
                                     headers=headers)
    assert deleted.status_code == 204
    refused = await auth_http.post(TOKEN_URL, data={**form, "client_secret": old["clear"]})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    accepted = await auth_http.post(TOKEN_URL, data={**form, "client_secret": new["clear"]})
    assert accepted.status_code == 200


async def test_deleted_client_can_no_longer_obtain_tokens(
    auth_http: httpx.AsyncClient, headers: dict[str, str], make_client: MakeClient
):
    cid, secret = await make_client(("ledger:read",))
    assert (await auth_http.delete(f"/api/auth/clients/{cid}", headers=headers)
            ).status_code == 204
    resp = await auth_http.post(TOKEN_URL, data={
        "grant_type": "client_credentials", "client_id": cid, "client_secret": secret})
    assert resp.status_code == 401


async def test_users_are_listed_and_read(auth_http: httpx.AsyncClient, headers: dict[str, str],
                                         admin: AuthAdmin):
    jane = await admin.create_user(email="jane@example.com")
    again = await admin.create_user(email="jane@example.com")
    assert again.id == jane.id  # idempotent on the subject
    listed = await auth_http.get("/api/auth/users", headers=headers)
    assert listed.status_code == 200
    assert listed.json()["data"] == [
        {"id": jane.id, "subject": "jane@example.com", "email": "jane@example.com"}]
    read = await auth_http.get(f"/api/auth/users/{jane.id}", headers=headers)
    assert read.json()["data"]["email"] == "jane@example.com"
    missing = await auth_http.get("/api/auth/users/nobody", headers=headers)
    assert missing.status_code == 404 and missing.json()["errorCode"] == "NOT_FOUND"


async def test_discovery_keys_and_info_need_no_token(auth_http: httpx.AsyncClient):
    discovery = await auth_http.get("/api/auth/.well-known/openid-configuration")
    assert discovery.status_code == 200
    body = discovery.json()
    assert body["issuer"] == "http://testserver/api/auth"
    assert body["token_endpoint"] == "http://testserver/api/auth/oauth/token"
    assert "client_credentials" in body["grant_types_supported"]
    keys = await auth_http.get(body["jwks_uri"].removeprefix("http://testserver"))
    assert keys.status_code == 200
    [key] = keys.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert set(key) == {"kty", "use", "alg", "kid", "n", "e"}  # never a private member
    info = await auth_http.get("/api/auth/_info")
    assert info.status_code == 200 and "version" in info.json()


async def test_auth_admin_needs_auth_scopes(auth_http: httpx.AsyncClient,
                                            make_client: MakeClient, get_token: GetToken):
    reader_id, reader_secret = await make_client(("auth:read",))
    reader = bearer(await get_token(reader_id, reader_secret))
    assert (await auth_http.get("/api/auth/clients", headers=reader)).status_code == 200
    create = await auth_http.post("/api/auth/clients", headers=reader, json={"name": "x"})
    assert create.status_code == 403
    ledger_id, ledger_secret = await make_client(("ledger:write",))
    other = bearer(await get_token(ledger_id, ledger_secret))
    assert (await auth_http.get("/api/auth/clients", headers=other)).status_code == 403
