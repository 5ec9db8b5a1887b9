"""The adapter behind link() in trigger expressions (domain/orchestration/triggers.py `Fetch`):
a linked resource is read over HTTP, as Formance reads it: GET the uri, the JSON answer's
`data`. Here with the other adapters the domain's ports name, for the API's test endpoint and
the triggers consumer alike."""

from __future__ import annotations

from typing import Any

import httpx

from domain.orchestration.triggers import Fetch


def linked_data_reader(http: httpx.AsyncClient) -> Fetch:
    async def fetch(uri: str) -> Any:
        if not uri.startswith(("http://", "https://")):
            raise ValueError("only http(s) links are read")
        response = await http.get(uri)
        response.raise_for_status()
        body = response.json()
        return body.get("data") if isinstance(body, dict) else body

    return fetch
