"""The bootstrap client of `make run` and the operator commands (users come from the CLI since
there is no login provider here)."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import httpx
from auth_helpers import TOKEN_URL, free_port

from config.settings import Settings
from domain.auth.service import AuthAdmin
from storage.auth.bootstrap import ensure_bootstrap_client
from storage.auth.signing_keys import SqlSigningKeyStore
from storage.database import Database
from workers import cli, dev_stack

SECRET_A, SECRET_B = "a" * 40, "b" * 40


async def _token_status(http: httpx.AsyncClient, client_id: str, secret: str) -> int:
    resp = await http.post(TOKEN_URL, data={"grant_type": "client_credentials",
                                            "client_id": client_id, "client_secret": secret})
    return resp.status_code


async def test_bootstrap_client_is_idempotent_and_a_new_secret_revokes_the_old(
    database: Database, auth_http: httpx.AsyncClient, admin: AuthAdmin
):
    assert await ensure_bootstrap_client(database, "boot", SECRET_A) is True
    assert await ensure_bootstrap_client(database, "boot", SECRET_A) is False
    client = await admin.read_client("boot")
    assert len(client.secrets) == 1 and "ledger:write" in client.scopes
    assert await _token_status(auth_http, "boot", SECRET_A) == 200

    assert await ensure_bootstrap_client(database, "boot", SECRET_B) is True
    assert await _token_status(auth_http, "boot", SECRET_B) == 200
    assert await _token_status(auth_http, "boot", SECRET_A) == 401


def test_dev_stack_keeps_its_bootstrap_secret_in_a_private_file(tmp_path: Path,
                                                                database_url: str):
    settings = Settings(database_url=database_url, data_dir=tmp_path,
                        temporal_address=f"127.0.0.1:{free_port()}")
    env: dict[str, str] = {}
    banner = dev_stack._prepare_auth(settings, env, "http://127.0.0.1:8080")
    assert env["AUTH_ENABLED"] == "true"
    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8080"
    saved = tmp_path / "bootstrap-client.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    client_id, secret = dev_stack._bootstrap_credentials(settings)
    assert client_id in banner and secret in banner
    # A restart prints the same credentials and creates nothing new.
    assert dev_stack._prepare_auth(settings, {}, "http://127.0.0.1:8080") == banner

    off = Settings(database_url=database_url, data_dir=tmp_path, auth_enabled=False)
    env_off: dict[str, str] = {}
    assert "off" in dev_stack._prepare_auth(off, env_off, "http://127.0.0.1:8080")
    assert env_off["AUTH_ENABLED"] == "false"


def test_cli_creates_users_and_clients_and_rotates_keys(database_url: str, capsys):
    settings = Settings(database_url=database_url)
    assert cli._auth_command(settings, argparse.Namespace(
        command="create-user", email="ops@example.com", subject=None)) == 0
    assert "ops@example.com" in capsys.readouterr().out
    assert cli._auth_command(settings, argparse.Namespace(
        command="create-client", name="ci", scope=["ledger:read"])) == 0
    out = capsys.readouterr().out
    assert "client_secret=" in out and "scopes=ledger:read" in out
    assert cli._auth_command(settings, argparse.Namespace(command="rotate-signing-key")) == 0
    assert "new signing key" in capsys.readouterr().out
    bad = cli._auth_command(settings, argparse.Namespace(
        command="create-user", email="not-an-email", subject=None))
    assert bad == 1


async def test_rotated_keys_all_stay_published(database: Database):
    store = SqlSigningKeyStore(database)
    first = await store.ensure_active()
    second = await store.rotate()
    keys = await store.load()
    assert [k.kid for k in keys] == [second.kid, first.kid]
    assert [k.active for k in keys] == [True, False]
