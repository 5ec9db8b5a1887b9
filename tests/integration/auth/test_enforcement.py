"""Bearer tokens on every module: each way a token can be wrong is a 401 with a Bearer
challenge; a valid token without the module's scope is a 403."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from auth_helpers import BASE_URL, GetToken, MakeClient, b64url, bearer, decode_part
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import jwt
from storage.auth.signing_keys import SqlSigningKeyStore
from storage.database import Database

PROTECTED = "/api/auth/clients"  # served whichever other modules exist yet


def _segment(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": f"{BASE_URL}/api/auth", "aud": BASE_URL, "sub": "c", "iat": now,
              "nbf": now, "exp": now + 600, "scope": "auth:read auth:write ledger:read"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


async def _our_key(database: Database) -> tuple[str, rsa.RSAPrivateKey]:
    record = await SqlSigningKeyStore(database).ensure_active()
    return record.kid, jwt.load_private_key(record.private_key_pem)


async def _assert_401(http: httpx.AsyncClient, token: str | None, *, error: bool = True) -> None:
    # Raw bytes: a hostile client is not bound to ASCII header values.
    headers = {"Authorization": f"Bearer {token}".encode("latin-1")} if token is not None else {}
    resp = await http.get(PROTECTED, headers=headers)
    assert resp.status_code == 401, resp.text
    assert resp.json()["errorCode"] == "UNAUTHORIZED"
    challenge = resp.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is error


async def test_a_token_we_signed_is_accepted(auth_http: httpx.AsyncClient, database: Database):
    kid, key = await _our_key(database)
    resp = await auth_http.get(PROTECTED, headers=bearer(jwt.sign(_claims(), key, kid)))
    assert resp.status_code == 200


async def test_missing_token(auth_http: httpx.AsyncClient):
    await _assert_401(auth_http, None, error=False)
    basic = await auth_http.get(PROTECTED, headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert basic.status_code == 401


@pytest.mark.parametrize("token", [
    "garbage", "a.b", "a.b.c", "....", "e30.e30.", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
    "x" * 10_000, "ü.ü.ü",
])
async def test_malformed_tokens(auth_http: httpx.AsyncClient, token: str):
    await _assert_401(auth_http, token)


async def test_expired_token(auth_http: httpx.AsyncClient, database: Database):
    kid, key = await _our_key(database)
    past = int(time.time()) - 3600
    await _assert_401(auth_http, jwt.sign(_claims(iat=past - 60, nbf=past - 60, exp=past),
                                          key, kid))


async def test_token_without_expiry_or_not_yet_valid(auth_http: httpx.AsyncClient,
                                                     database: Database):
    kid, key = await _our_key(database)
    await _assert_401(auth_http, jwt.sign(_claims(exp=None), key, kid))
    await _assert_401(auth_http, jwt.sign(_claims(nbf=int(time.time()) + 3600), key, kid))


async def test_token_signed_by_another_rsa_key_even_with_our_kid(auth_http: httpx.AsyncClient,
                                                                 database: Database):
    kid, _ = await _our_key(database)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await _assert_401(auth_http, jwt.sign(_claims(), stranger, kid))
    await _assert_401(auth_http, jwt.sign(_claims(), stranger, "unknown-kid"))


async def test_wrong_issuer_or_audience(auth_http: httpx.AsyncClient, database: Database):
    kid, key = await _our_key(database)
    await _assert_401(auth_http, jwt.sign(_claims(iss="https://evil.example/api/auth"), key, kid))
    await _assert_401(auth_http, jwt.sign(_claims(aud="https://other.example"), key, kid))


async def test_alg_none_is_refused(auth_http: httpx.AsyncClient, database: Database):
    kid, _ = await _our_key(database)
    for alg in ("none", "None", "NONE"):
        token = f"{_segment({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{_segment(_claims())}."
        await _assert_401(auth_http, token)


async def test_hs256_signed_with_our_public_key_is_refused(auth_http: httpx.AsyncClient,
                                                           database: Database):
    kid, key = await _our_key(database)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}." \
                    f"{_segment(_claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    await _assert_401(auth_http, f"{signing_input}.{b64url(mac)}")


async def test_tampered_claims_break_the_signature(auth_http: httpx.AsyncClient,
                                                   make_client: MakeClient, get_token: GetToken):
    client_id, secret = await make_client(("ledger:read",))
    token = await get_token(client_id, secret)
    head, _, sig = token.split(".")
    claims = decode_part(token, 1) | {"scope": "auth:read auth:write"}
    await _assert_401(auth_http, f"{head}.{_segment(claims)}.{sig}")


async def test_missing_scope_is_403_and_read_write_rule(auth_http: httpx.AsyncClient,
                                                        make_client: MakeClient,
                                                        get_token: GetToken):
    read_id, read_secret = await make_client(("ledger:read", "auth:read"))
    reader = bearer(await get_token(read_id, read_secret))
    write_id, write_secret = await make_client(("ledger:write",))
    writer = bearer(await get_token(write_id, write_secret))

    # ledger:read lets reads through (whatever the ledger answers, auth did not refuse)...
    for method in ("GET", "HEAD", "OPTIONS"):
        resp = await auth_http.request(method, "/api/ledger/v2", headers=reader)
        assert resp.status_code not in (401, 403), (method, resp.status_code)
    # ...but not writes.
    refused = await auth_http.post("/api/ledger/v2/main", headers=reader, json={})
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "FORBIDDEN"
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    # ledger:write covers reads and writes.
    assert (await auth_http.get("/api/ledger/v2", headers=writer)).status_code not in (401, 403)
    assert (await auth_http.post("/api/ledger/v2/main", headers=writer, json={})
            ).status_code not in (401, 403)
    # A scope of one module opens nothing in another.
    for path in ("/api/payments/v3/payments", "/api/webhooks/configs", PROTECTED):
        assert (await auth_http.get(path, headers=writer)).status_code == 403, path


@pytest.mark.parametrize("path", [
    "/versions", "/_healthcheck", "/api/ledger/_info", "/api/payments/_healthcheck",
    "/api/auth/.well-known/openid-configuration", "/api/auth/keys", "/api/docs",
    "/api/openapi.json", "/api/payments/v3/connectors/webhooks/abc/x",
])
async def test_exempt_paths_need_no_token(auth_http: httpx.AsyncClient, path: str):
    resp = await auth_http.get(path)
    assert resp.status_code != 401, resp.text


async def test_lookalikes_of_exempt_paths_are_protected(auth_http: httpx.AsyncClient):
    for path in ("/api/ledger/_info/x", "/api/ledger/_infox", "/versions/x",
                 "/api/payments/v3/connectors/webhooksx/abc", "/api/auth/keys/x"):
        assert (await auth_http.get(path)).status_code == 401, path


async def test_cors_preflight_needs_no_token_and_401_carries_cors(auth_http: httpx.AsyncClient):
    preflight = await auth_http.options(PROTECTED, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://app.example")
    refused = await auth_http.get(PROTECTED, headers={"Origin": "https://app.example"})
    assert refused.status_code == 401
    assert "access-control-allow-origin" in refused.headers


async def test_auth_disabled_lets_requests_through(client: httpx.AsyncClient):
    assert (await client.get(PROTECTED)).status_code == 200
