"""What every request must satisfy before any module sees it: no character PostgreSQL cannot
store anywhere it could reach it, and a body no bigger than `LIMIT_BODY_BYTES`.

PostgreSQL cannot store U+0000 in text or jsonb, nor a string that is not Unicode (an unpaired
UTF-16 surrogate, which a JSON escape such as `\\ud800` decodes to): such a string used to fail
deep in a write, as a 500 (or a 409) after part of the work was done. It is invalid input
wherever it comes from, so it is refused here once for every module (path, query, headers, body)
with a 400 VALIDATION naming the field. The app calls this before it chooses between the
ledger's hot write routes and the full middleware stack (api/app.py), so both paths are guarded
alike.

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
from domain.ledger.errors import ErrorCode
from domain.ledger.validation import REQUEST_LIMITS, RequestLimits

# A JSON escape of NUL, not preceded by an escaped backslash (`\\u0000` is the 6 characters
# `\u0000`, which PostgreSQL stores fine).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
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
        problem = _bad_in_request_line(scope)
        if problem is not None:
            await _refuse(scope, receive, send, 400, ValidationError.code, problem)
            return None
        path: str = scope["path"]
        if path.endswith("/logs/import") and _IMPORT.fullmatch(path):
            return _scanning(receive), 0  # streamed, with its own size limit (logs_io.py)
        content_type = b""
        for name, value in scope["headers"]:  # one pass: NUL, then the two headers used here
            if b"\x00" in value:
                await _refuse(scope, receive, send, 400, ValidationError.code,
                              _message(f"header {name.decode('latin-1')!r}", NUL))
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
        if (b"\x00" in body or b"\\u0000" in body or b"%00" in body or b"\\ud" in body
                or b"\\uD" in body):
            problem = _bad_in_body(body, content_type.decode("latin-1"))
            if problem is not None:
                await _refuse(scope, receive, send, 400, ValidationError.code, problem)
                return None
        return _replay(body, receive), size

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        # The bulk route has its own code for it in the v2 spec; 413 everywhere, as the error
        # envelope is each spec's default response.
        code = (ErrorCode.BULK_SIZE_EXCEEDED if scope["path"].endswith("/_bulk")
                else ValidationError.code)
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


def _replay(body: bytes, receive: Receive) -> Receive:
    pending: list[bytes] = [body]

    async def replayed() -> Message:
        if pending:
            # Popped: once the app holds the body, the guard keeps no reference to it.
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()  # e.g. http.disconnect, for streaming answers

    return replayed


def _scanning(receive: Receive) -> Receive:
    """The log import's body, checked as it streams. The last bytes of each chunk are looked at
    again with the next one, so that an escape split across two chunks is still seen (and a
    high surrogate at the very end of a chunk is judged once its successor has arrived)."""
    tail = b""

    async def scanned() -> Message:
        nonlocal tail
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if b"\x00" in chunk:
                raise ValidationError(_message("body (the imported logs)", NUL))
            # Substring searches first: the regexes run only on a hit, since an import can be
            # hundreds of megabytes.
            window = tail + chunk[:12]
            if (b"\\u" in chunk and _maybe_bad_escape(chunk)) or _maybe_bad_escape(window):
                window = tail + chunk
                last = not message.get("more_body", False)
                what = _bad_escape(window, complete=last)
                if what is not None:
                    raise ValidationError(_message("body (the imported logs)", what))
            tail = (tail + chunk[-64:])[-64:]
        return message

    return scanned


NUL = "a NUL character (\\u0000)"
SURROGATE = "an unpaired UTF-16 surrogate (\\ud800-\\udfff)"
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# JSON escapes of a surrogate that is not half of a pair: a high one not followed by a low one,
# a low one not preceded by a high one (escaped backslashes aside, as for NUL).
_LONE_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})")


def _maybe_bad_escape(raw: bytes) -> bool:
    return b"\\u0000" in raw or b"\\ud" in raw or b"\\uD" in raw


def _bad_escape(raw: bytes, *, complete: bool = True) -> str | None:
    """What unstorable character a JSON text's escapes decode to, if any. When more text is to
    come (`complete` false), a high surrogate in the last 12 bytes may yet be paired."""
    if _JSON_NUL.search(raw):
        return NUL
    for match in _LONE_SURROGATE.finditer(raw):
        if complete or match.end() <= len(raw) - 12 or raw[match.end() - 3] not in b"89abAB":
            return SURROGATE
    return None


def _bad_char(text: str) -> str | None:
    if "\x00" in text:
        return NUL
    if _SURROGATES.search(text):
        return SURROGATE
    return None


def _message(field: str, what: str) -> str:
    return f"{field} contains {what}, which PostgreSQL cannot store"


def _bad_in_request_line(scope: Scope) -> str | None:
    """Path and query (headers are checked with the others, in `admit`); the message."""
    path: str = scope["path"]
    if "\x00" in path:
        return _message(f"path {path!r}", NUL)
    query: bytes = scope.get("query_string", b"")
    if query and (b"%00" in query or b"\x00" in query or b"u0000" in query or b"ud" in query
                  or b"uD" in query):
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            what = _bad_char(name) or _bad_char(value)
            if what is None and value[:1] in ("{", "[", '"'):
                # A JSON-valued parameter (the ledger's `query` filter) decodes its escapes.
                try:
                    found = _bad_in_json(json.loads(value), "")
                except (ValueError, RecursionError):
                    found = None
                what = found[1] if found else None
            if what is not None:
                return _message(f"query parameter {name!r}", what)
    return None


def _bad_in_body(body: bytes, content_type: str) -> str | None:
    """The message naming where an unstorable character is, or None when the fast check's hit
    was harmless text (`%00` in a JSON string, an escaped backslash before `u0000`, a surrogate
    pair)."""
    if content_type.split(";")[0].strip().lower() == _FORM:
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            what = _bad_char(name) or _bad_char(value)
            if what is not None:
                return _message(f"form field {name!r}", what)
        return None
    escape = NUL if b"\x00" in body else _bad_escape(body)
    if escape is None:
        return None
    try:
        found = _bad_in_json(json.loads(body), "body")
        return _message(*found) if found else _message("body", escape)
    except (ValueError, RecursionError):
        pass
    for number, line in enumerate(body.splitlines(), start=1):  # JSON lines
        try:
            found = _bad_in_json(json.loads(line), f"body line {number}")
        except (ValueError, RecursionError):
            continue
        if found is not None:
            return _message(*found)
    return _message("body", escape)


def _bad_in_json(doc: Any, root: str) -> tuple[str, str] | None:
    """Where, and what, the first unstorable character of a decoded JSON document is."""
    stack: list[tuple[Any, str]] = [(doc, root)]
    while stack:  # iterative: a deeply nested document must not exhaust the stack
        value, where = stack.pop()
        if isinstance(value, str):
            what = _bad_char(value)
            if what is not None:
                return where, what
        elif isinstance(value, dict):
            members = []
            for key, item in value.items():
                name = f"{where}.{key}" if _IDENTIFIER.fullmatch(key) else f"{where}[{key!r}]"
                what = _bad_char(key)
                if what is not None:
                    return f"the key of {name}", what
                members.append((item, name))
            stack.extend(reversed(members))
        elif isinstance(value, list):
            stack.extend(reversed([(item, f"{where}[{i}]") for i, item in enumerate(value)]))
    return None
