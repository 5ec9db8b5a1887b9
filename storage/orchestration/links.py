"""The adapter behind link() in trigger expressions (domain/orchestration/triggers.py `Fetch`):
a linked resource is read over HTTP, as Formance reads it: GET the uri, the JSON answer's
`data`. Here with the other adapters the domain's ports name, for the API's test endpoint and
the triggers consumer alike.

Only URIs under one of the allowed prefixes are read (the stack's own gateway by default,
LEDGERFLOW_ORCHESTRATION_LINK_ALLOWED_PREFIXES): a link comes from an event payload or from
the body of a trigger test, and reading any URI it names would let a caller make this process
fetch internal addresses for them. Redirects are not followed, for the same reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from domain.orchestration.triggers import Fetch


def is_allowed(uri: str, prefixes: Sequence[str]) -> bool:
    """Same scheme, host and port as a prefix, and a path under its path (compared parsed, so
    `http://127.0.0.1:8080@elsewhere/` is not under `http://127.0.0.1:8080/`)."""
    try:
        target = urlsplit(uri)
        port = target.port
    except ValueError:
        return False
    if target.scheme not in ("http", "https") or target.username or target.password:
        return False
    for prefix in prefixes:
        allowed = urlsplit(prefix)
        path = allowed.path if allowed.path.endswith("/") else allowed.path + "/"
        if (allowed.scheme, allowed.hostname, allowed.port) == (
                target.scheme, target.hostname, port) and (target.path + "/").startswith(path):
            return True
    return False


def linked_data_reader(http: httpx.AsyncClient, allowed_prefixes: Sequence[str]) -> Fetch:
    async def fetch(uri: str) -> Any:
        if not is_allowed(uri, allowed_prefixes):
            raise ValueError(f"link {uri!r} is not under an allowed prefix "
                             "(LEDGERFLOW_ORCHESTRATION_LINK_ALLOWED_PREFIXES)")
        response = await http.get(uri, follow_redirects=False)
        response.raise_for_status()
        body = response.json()
        return body.get("data") if isinstance(body, dict) else body

    return fetch
