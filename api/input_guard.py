"""What every request must satisfy before any module sees it: no NUL character anywhere it could
reach PostgreSQL, and a body no bigger than `LIMIT_BODY_BYTES`.

PostgreSQL cannot store U+0000 in text or jsonb: such a string used to fail deep in a write, as
a 500 after part of the work was done. It is invalid input wherever it comes from, so it is
refused here once for every module (path, query, headers, body) with a 400 VALIDATION naming the
field. The app calls this before it chooses between the ledger's hot write routes and the full
middleware stack (api/app.py), so both paths are guarded alike.

The body is read here, up to the limit, and handed on as one message: a `Content-Length` above
the limit is refused before a byte is read, a chunked body as soon as it passes the limit.
Buffering costs nothing extra: every route reads its whole body before parsing it, and a body
of one chunk is what Starlette keeps without copying it. The ledger's log import, the one route
that streams a body bigger than the limit, is scanned chunk by chunk instead (it has its own
size limit, api/ledger/logs_io.py).

Then, bodies above SMALL_BODY_BYTES are served only while the bodies being served add up to at
most `LIMIT_BODY_BYTES_IN_FLIGHT` (a bigger one waits its turn, then runs alone). Decoding and
writing a big body costs many times its size in memory and runs for long stretches without
yielding (about 40 ms per 1,000 postings): eight 1 MB bulks at once took 700 MB and stalled
every other client for seconds (bench/big_bodies.py, README). The budget is taken once the body
is read and given back when the answer starts, so neither a slow uploader nor a slow reader
holds any; the usual write, one small transaction, never waits.

Checks on the hot path are substring searches over the raw bytes; the body is decoded and walked
only when one of them hits, to name the field (or find that the hit was harmless text)."""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from config.settings import Settings
from domain.errors import ValidationError
from domain.ledger.validation import REQUEST_LIMITS, RequestLimits

# A JSON escape of NUL, not preceded by an escaped backslash (`\\u0000` is the 6 characters
# `\u0000`, which PostgreSQL stores fine).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_JSON_NUL_TEXT = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_IMPORT = re.compile(r"/api/ledger/v2/[^/]+/logs/import")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FORM = "application/x-www-form-urlencoded"
# Bodies up to this size skip the in-flight budget: one transaction with a few postings and
# some metadata, the hot path's usual request.
SMALL_BODY_BYTES = 4 * 1024


class InputGuard:
    def __init__(self, settings: Settings) -> None:
        self.max_body = settings.limit_body_bytes
        self.limits = RequestLimits(
            postings_per_transaction=settings.limit_postings_per_transaction,
            bulk_elements=settings.limit_bulk_elements,
            metadata_keys=settings.limit_metadata_keys,
            metadata_value_chars=settings.limit_metadata_value_chars,
            script_chars=settings.limit_script_chars,
        )
        self.in_flight = ByteBudget(settings.limit_body_bytes_in_flight)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        admitted = await self.admit(scope, receive, send)
        if admitted is None:
            return
        receive, size = admitted
        if size <= SMALL_BODY_BYTES:
            await app(scope, receive, send)
            return
        taken = await self.in_flight.acquire(size)
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.in_flight.release(taken)

        async def sending(message: Message) -> None:
            # The work is done once the answer starts: a slow reader of a long (streamed)
            # answer must not hold the budget.
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            release()

    async def admit(self, scope: Scope, receive: Receive, send: Send
                    ) -> tuple[Receive, int] | None:
        """The `receive` the app is to be called with and the body's size, or None when the
        request was answered here (refused, or its client went away while sending the
        body)."""
        REQUEST_LIMITS.set(self.limits)  # read by the ledger's parsers and validation
        field = _nul_in_request_line(scope)
        if field is not None:
            await _refuse(scope, receive, send, 400, "VALIDATION", _nul_message(field))
            return None
        path: str = scope["path"]
        if path.endswith("/logs/import") and _IMPORT.fullmatch(path):
            return _scanning(receive), 0  # streamed, with its own size limit (logs_io.py)
        content_type = b""
        for name, value in scope["headers"]:  # one pass: NUL, then the two headers used here
            if b"\x00" in value:
                await _refuse(scope, receive, send, 400, "VALIDATION",
                              _nul_message(f"header {name.decode('latin-1')!r}"))
                return None
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0  # the server refuses it; nothing to decide here
                if declared > self.max_body:
                    await self._too_large(scope, receive, send, f"{declared} bytes")
                    return None
            elif name == b"content-type":
                content_type = value
        message = await receive()
        if message["type"] != "http.request":
            return None  # http.disconnect: nobody left to answer
        body: bytes = message.get("body", b"")
        size = len(body)
        if message.get("more_body", False):  # more than one chunk (the usual body is one)
            chunks = [body]
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    await self._too_large(scope, receive, send,
                                          f"more than {self.max_body} bytes")
                    return None
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
        elif size > self.max_body:  # a single chunk without a Content-Length
            await self._too_large(scope, receive, send, f"{size} bytes")
            return None
        if b"\x00" in body or b"\\u0000" in body or b"%00" in body:
            field = _nul_in_body(body, content_type.decode("latin-1"))
            if field is not None:
                await _refuse(scope, receive, send, 400, "VALIDATION", _nul_message(field))
                return None
        return _replay(body, receive), size

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        # The bulk route has its own code for it in the v2 spec; 413 everywhere, as the error
        # envelope is each spec's default response.
        code = "BULK_SIZE_EXCEEDED" if scope["path"].endswith("/_bulk") else "VALIDATION"
        await _refuse(scope, receive, send, 413, code,
                      f"request body of {size} is over the limit of {self.max_body} bytes "
                      "(LIMIT_BODY_BYTES)")


class ByteBudget:
    """A semaphore counted in bytes, first come first served (a big body is not overtaken for
    ever by small ones). A request larger than the whole budget takes all of it."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self.waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def acquire(self, size: int) -> int:
        size = min(size, self.capacity)
        if not self.waiters and self.used + size <= self.capacity:
            self.used += size
            return size
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (size, granted)
        self.waiters.append(waiter)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release(size)  # granted just as the request was cancelled
            else:
                self.waiters.remove(waiter)
                self._wake()
            raise
        return size

    def release(self, size: int) -> None:
        self.used -= size
        self._wake()

    def _wake(self) -> None:
        while self.waiters and self.used + self.waiters[0][0] <= self.capacity:
            size, granted = self.waiters.popleft()
            self.used += size
            granted.set_result(None)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, code: str,
                  message: str) -> None:
    await error_response(status, code, message)(scope, receive, send)


def _nul_message(field: str) -> str:
    return f"{field} contains a NUL character (\\u0000), which cannot be stored"


def _replay(body: bytes, receive: Receive) -> Receive:
    pending: list[bytes] = [body]

    async def replayed() -> Message:
        if pending:
            # Popped: once the app holds the body, the guard keeps no reference to it.
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()  # e.g. http.disconnect, for streaming answers

    return replayed


def _scanning(receive: Receive) -> Receive:
    """The log import's body, checked as it streams (the last bytes of a chunk are kept so that
    an escape split across two chunks is still seen)."""
    tail = b""

    async def scanned() -> Message:
        nonlocal tail
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if b"\x00" in chunk:
                raise ValidationError(_nul_message("body (the imported logs)"))
            # Substring searches first: the regex (is the escape itself escaped?) runs only on
            # a hit, since an import can be hundreds of megabytes.
            if b"\\u0000" in chunk or b"\\u0000" in tail + chunk[:8]:
                window = tail + chunk
                if _JSON_NUL.search(window):
                    raise ValidationError(_nul_message("body (the imported logs)"))
            tail = (tail + chunk[-64:])[-64:]
        return message

    return scanned


def _nul_in_request_line(scope: Scope) -> str | None:
    """Path and query (headers are checked with the others, in `admit`)."""
    path: str = scope["path"]
    if "\x00" in path:
        return f"path {path!r}"
    query: bytes = scope.get("query_string", b"")
    if query and (b"%00" in query or b"\x00" in query or b"u0000" in query):
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            # JSON-valued parameters (the ledger's `query` filter) decode the escape to NUL.
            if "\x00" in name or "\x00" in value or _JSON_NUL_TEXT.search(value):
                return f"query parameter {name!r}"
    return None


def _nul_in_body(body: bytes, content_type: str) -> str | None:
    """Where the NUL is, or None when the fast check's hit was harmless text (`%00` in a JSON
    string, an escaped backslash before `u0000`)."""
    if content_type.split(";")[0].strip().lower() == _FORM:
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return f"form field {name!r}"
        return None
    if b"\x00" not in body and _JSON_NUL.search(body) is None:
        return None
    try:
        return _nul_in_json(json.loads(body), "body") or "body"
    except (ValueError, RecursionError):
        pass
    for number, line in enumerate(body.splitlines(), start=1):  # JSON lines
        try:
            found = _nul_in_json(json.loads(line), f"body line {number}")
        except (ValueError, RecursionError):
            continue
        if found is not None:
            return found
    return "body"


def _nul_in_json(doc: Any, root: str) -> str | None:
    stack: list[tuple[Any, str]] = [(doc, root)]
    while stack:  # iterative: a deeply nested document must not exhaust the stack
        value, where = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return where
        elif isinstance(value, dict):
            members = []
            for key, item in value.items():
                name = f"{where}.{key}" if _IDENTIFIER.fullmatch(key) else f"{where}[{key!r}]"
                if "\x00" in key:
                    return f"the key of {name}"
                members.append((item, name))
            stack.extend(reversed(members))
        elif isinstance(value, list):
            stack.extend(reversed([(item, f"{where}[{i}]") for i, item in enumerate(value)]))
    return None
