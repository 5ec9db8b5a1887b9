"""Helpers shared by the auth integration tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

BASE_URL = "http://testserver"
TOKEN_URL = "/api/auth/oauth/token"

MakeClient = Callable[..., Awaitable[tuple[str, str]]]
GetToken = Callable[..., Awaitable[str]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))
