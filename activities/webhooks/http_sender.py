"""One signed POST to a webhook endpoint, on a shared httpx.AsyncClient (connection reuse)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from domain.webhooks.signature import delivery_headers

RESPONSE_EXCERPT_BYTES = 64 * 1024


@dataclass(frozen=True)
class HttpOutcome:
    status_code: int | None  # None: no HTTP answer (refused, reset, timeout)
    error: str | None
    response_excerpt: str | None
    duration_ms: int
    retry_after: str | None


class WebhookHttpSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(
        self, *, endpoint: str, secret: str, webhook_id: str, body: bytes, test: bool,
        idempotency_key: str | None,
    ) -> HttpOutcome:
        headers = delivery_headers(
            secret=secret, webhook_id=webhook_id, timestamp=int(time.time()), body=body,
            test=test, idempotency_key=idempotency_key,
        )
        started = time.monotonic()
        try:
            async with self.client.stream("POST", endpoint, content=body, headers=headers) as resp:
                excerpt = await _excerpt(resp)
        except httpx.HTTPError as exc:
            return HttpOutcome(None, f"{exc.__class__.__name__}: {exc}", None,
                               _elapsed_ms(started), None)
        error = None if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}"
        return HttpOutcome(resp.status_code, error, excerpt, _elapsed_ms(started),
                           resp.headers.get("retry-after"))


async def _excerpt(resp: httpx.Response) -> str:
    """At most 64 KiB of the answer: enough to debug, bounded whatever the receiver sends."""
    buffer = bytearray()
    async for chunk in resp.aiter_bytes():
        buffer += chunk
        if len(buffer) >= RESPONSE_EXCERPT_BYTES:
            break
    return bytes(buffer[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def new_http_client(timeout_seconds: float, max_connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout_seconds, follow_redirects=False,
        limits=httpx.Limits(max_connections=max_connections,
                            max_keepalive_connections=max_connections),
    )
