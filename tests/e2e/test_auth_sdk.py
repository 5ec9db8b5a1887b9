"""The official Formance Python SDK, configured only with a client id, a secret and the token URL
`/api/auth/oauth/token`, against the real server (uvicorn on a free port) with auth enabled."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from formance_sdk_python import SDK
from formance_sdk_python.models import shared

from api.app import create_app
from config.settings import Settings
from storage.auth.bootstrap import ensure_bootstrap_client
from storage.database import Database

CLIENT_ID = "e2e-bootstrap"
CLIENT_SECRET = "e2e-" + "s" * 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_url(database_url: str) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=database_url, temporal_address=f"127.0.0.1:{_free_port()}",
                        auth_enabled=True, public_base_url=base, api_port=port)
    # The app owns its database pool: it lives on the server thread's event loop.
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
async def bootstrap(database: Database) -> None:
    await ensure_bootstrap_client(database, CLIENT_ID, CLIENT_SECRET)


def _sdk(server_url: str, client_id: str, secret: str) -> SDK:
    return SDK(server_url=server_url, security=shared.Security(
        client_id=client_id, client_secret=secret, token_url="/api/auth/oauth/token"))


async def test_sdk_obtains_a_token_and_calls_protected_modules(server_url: str, bootstrap: None):
    sdk = _sdk(server_url, CLIENT_ID, CLIENT_SECRET)
    versions = await sdk.get_versions_async()
    assert versions.status_code == 200
    assert versions.get_versions_response is not None

    ledgers = await sdk.ledger.v2.list_ledgers_async(request={"request_body": {}})
    assert ledgers.status_code == 200
    assert ledgers.v2_ledger_list_response is not None

    clients = await sdk.auth.v1.list_clients_async()
    assert clients.list_clients_response is not None
    assert CLIENT_ID in {c.id for c in clients.list_clients_response.data or []}


async def test_sdk_manages_clients_and_scopes_are_enforced(server_url: str, bootstrap: None):
    admin = _sdk(server_url, CLIENT_ID, CLIENT_SECRET)
    created = await admin.auth.v1.create_client_async(
        request={"name": "reader", "scopes": ["auth:read"]})
    assert created.status_code == 201 and created.create_client_response is not None
    assert created.create_client_response.data is not None
    reader_id = created.create_client_response.data.id
    secret = await admin.auth.v1.create_secret_async(
        request={"client_id": reader_id, "secret_options": {"name": "main"}})
    assert secret.create_secret_response is not None and secret.create_secret_response.data
    clear = secret.create_secret_response.data.clear

    reader = _sdk(server_url, reader_id, clear)
    read = await reader.auth.v1.read_client_async(request={"client_id": reader_id})
    assert read.status_code == 200
    # The SDK asks the token endpoint for ledger:read, a scope this client was never given.
    with pytest.raises(Exception, match="400"):
        await reader.ledger.v2.list_ledgers_async(request={"request_body": {}})

    wrong = _sdk(server_url, reader_id, "not-the-secret")
    with pytest.raises(Exception, match="401"):
        await wrong.auth.v1.list_clients_async()
