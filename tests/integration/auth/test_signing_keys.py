"""The signing key lives in PostgreSQL: generated once, shared by every app on the database,
kept across restarts, rotatable without invalidating the tokens already out."""

from __future__ import annotations

import asyncio

import httpx
from auth_helpers import GetToken, MakeClient, bearer, decode_part, http_client

from api.app import create_app
from config.settings import Settings
from storage.auth.signing_keys import SqlSigningKeyStore
from storage.database import Database


async def test_two_apps_on_one_database_share_the_key(
    auth_settings: Settings, database_url: str, make_client: MakeClient, get_token: GetToken
):
    client_id, secret = await make_client()
    first_db, second_db = Database(database_url, pool_size=2), Database(database_url, pool_size=2)
    try:
        async with http_client(create_app(auth_settings, database=first_db)) as first:
            jwks_first = (await first.get("/api/auth/keys")).json()
            token = await get_token(client_id, secret, http=first)
        # A fresh app on a fresh pool: what a restart or a second replica sees.
        async with http_client(create_app(auth_settings, database=second_db)) as second:
            assert (await second.get("/api/auth/keys")).json() == jwks_first
            assert (await second.get("/api/auth/clients", headers=bearer(token))
                    ).status_code == 200
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_concurrent_first_starts_create_a_single_key(database_url: str):
    dbs = [Database(database_url, pool_size=1) for _ in range(6)]
    try:
        records = await asyncio.gather(*(SqlSigningKeyStore(db).ensure_active() for db in dbs))
        assert len({r.kid for r in records}) == 1
        assert len(await SqlSigningKeyStore(dbs[0]).load()) == 1
    finally:
        for db in dbs:
            await db.dispose()


async def test_rotation_keeps_old_tokens_valid_and_other_replicas_follow(
    auth_settings: Settings, database: Database, database_url: str, auth_http: httpx.AsyncClient,
    make_client: MakeClient, get_token: GetToken
):
    client_id, secret = await make_client()
    old_token = await get_token(client_id, secret)
    assert (await auth_http.get("/api/auth/clients", headers=bearer(old_token))).status_code == 200

    other_db = Database(database_url, pool_size=2)
    try:
        new_key = await SqlSigningKeyStore(other_db).rotate()
        # Another replica, started after the rotation, signs with the new key...
        async with http_client(create_app(auth_settings, database=other_db)) as other:
            new_token = await get_token(client_id, secret, http=other)
        assert decode_part(new_token, 0)["kid"] == new_key.kid
    finally:
        await other_db.dispose()
    # ...and this replica, which cached only the old key, learns the new one on first sight.
    assert (await auth_http.get("/api/auth/clients", headers=bearer(new_token))
            ).status_code == 200
    assert (await auth_http.get("/api/auth/clients", headers=bearer(old_token))
            ).status_code == 200
    kids = {k["kid"] for k in (await auth_http.get("/api/auth/keys")).json()["keys"]}
    assert new_key.kid in kids and decode_part(old_token, 0)["kid"] in kids
