"""Exporter drivers: where a batch of logs goes. A driver returns only once the batch is
acknowledged, and raises otherwise (the activity retry policy does the backoff)."""

from __future__ import annotations

import json
import sys
from typing import Any, Protocol

import httpx


class Driver(Protocol):
    async def send(self, logs: list[dict[str, Any]]) -> None: ...


class ExporterRefusedError(Exception):
    """The exporter answered, but not with a 2xx: the batch is not acknowledged."""


class HttpDriver:
    """POSTs the batch as a JSON array of logs (each with its ledger and id)."""

    def __init__(self, client: httpx.AsyncClient, config: dict[str, Any]) -> None:
        self.client = client
        self.url = str(config["url"])
        self.headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}

    async def send(self, logs: list[dict[str, Any]]) -> None:
        response = await self.client.post(self.url, json=logs, headers=self.headers)
        if not response.is_success:
            raise ExporterRefusedError(
                f"{self.url} answered HTTP {response.status_code} to a batch of {len(logs)} "
                f"logs ({logs[0]['id']}..{logs[-1]['id']})")


class StdoutDriver:
    """One JSON line per log on the worker's standard output."""

    async def send(self, logs: list[dict[str, Any]]) -> None:
        for log in logs:
            sys.stdout.write(json.dumps(log, separators=(",", ":")) + "\n")
        sys.stdout.flush()


class NoopDriver:
    async def send(self, logs: list[dict[str, Any]]) -> None:
        return None


def build_driver(driver: str, config: dict[str, Any], client: httpx.AsyncClient) -> Driver:
    if driver == "http":
        return HttpDriver(client, config)
    if driver == "stdout":
        return StdoutDriver()
    if driver == "noop":
        return NoopDriver()
    raise ValueError(f"unsupported driver {driver!r}")
