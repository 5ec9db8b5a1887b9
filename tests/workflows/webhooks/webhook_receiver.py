"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request and answers what
the test scripts (keep-alive supported, since the sender reuses connections)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.webhooks.signature import verify


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["formance-webhook-id"]

    def signed_by(self, secret: str) -> bool:
        return verify(secret, self.webhook_id, int(self.headers["formance-webhook-timestamp"]),
                      self.body, self.headers["formance-webhook-signature"])


Answer = tuple[int, dict[str, str]]


@dataclass
class Receiver:
    answer: Callable[[Received, int], Answer] = lambda _r, _n: (200, {})
    received: list[Received] = field(default_factory=list)
    # Seconds before each answer: keeps sends in flight long enough for a test to act while
    # they are (loopback answers in microseconds, faster than wait_for's polling).
    delay: float = 0.0
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def wait_for(self, count: int, within: float = 30) -> list[Received]:
        deadline = time.monotonic() + within
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} requests, got {len(self.received)}")
            await asyncio.sleep(0.05)
        return self.received

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = h.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Received(headers, body, time.monotonic())
                self.received.append(request)
                status, extra = self.answer(request, len(self.received))
                if self.delay:
                    await asyncio.sleep(self.delay)
                payload = b'{"ok":true}'
                head = [f"HTTP/1.1 {status} X", f"content-length: {len(payload)}",
                        "content-type: application/json"]
                head += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()
