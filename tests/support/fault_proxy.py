"""A fault-injecting TCP proxy for PostgreSQL (loopback only), asyncio-based.

Every client connection gets its own upstream connection; bytes are forwarded as they come.
Faults, armed by the test:

- `lose_reply_after(pattern)`: the next client chunk containing `pattern` (a COMMIT, or a
  value carried by a write statement's Bind message) is forwarded to PostgreSQL, whose reply is
  thrown away up to its ReadyForQuery (the statement, and an autocommit's COMMIT, are done),
  and both sides are cut: the write happened, the client never hears of it.
- `drop_request(pattern)`: the next chunk containing `pattern` is not forwarded; both sides are
  cut (the write never reached the server).
- `cut_all()`: every open connection is cut at once.
- `down()` / `up()`: new connections are refused (closed on accept) and open ones cut; `up`
  restores service, as PostgreSQL coming back would.
- `stall()` / `unstall()`: replies on the open connections are held back (a hung server);
  new connections pass.
- `delay_s`: every reply is delayed this long.

The proxy counts what it did (`cuts`, `replies_lost`, `requests_dropped`), so tests can check
that the fault really happened."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

# ReadyForQuery: the last message of every answer to a Sync or a simple Query.
_READY = b"Z\x00\x00\x00\x05"


@dataclass(eq=False)
class _Pipe:
    client_reader: asyncio.StreamReader
    client_writer: asyncio.StreamWriter
    server_reader: asyncio.StreamReader
    server_writer: asyncio.StreamWriter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    lose_next_reply: asyncio.Event = field(default_factory=asyncio.Event)
    flowing: asyncio.Event = field(default_factory=asyncio.Event)

    def cut(self) -> None:
        for w in (self.client_writer, self.server_writer):
            with contextlib.suppress(Exception):
                w.transport.abort()


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[_Pipe] = set()
        self._lose_reply: list[bytes] = []
        self._drop: list[bytes] = []
        self._down = False
        self._stalled: list[_Pipe] = []
        self.delay_s = 0.0
        self.cuts = 0
        self.replies_lost = 0
        self.requests_dropped = 0

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.cut_all()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    # --- faults ----------------------------------------------------------------------------

    def lose_reply_after(self, pattern: bytes, times: int = 1) -> None:
        self._lose_reply += [pattern] * times

    def drop_request(self, pattern: bytes, times: int = 1) -> None:
        self._drop += [pattern] * times

    def cut_all(self) -> None:
        for pipe in list(self._pipes):
            pipe.cut()
            self.cuts += 1
        self._pipes.clear()

    def down(self) -> None:
        self._down = True
        self.cut_all()

    def up(self) -> None:
        self._down = False

    def stall(self) -> None:
        for pipe in self._pipes:
            pipe.flowing.clear()
            self._stalled.append(pipe)

    def unstall(self) -> None:
        for pipe in self._stalled:
            pipe.flowing.set()
        self._stalled.clear()

    @property
    def armed(self) -> bool:
        return bool(self._lose_reply or self._drop)

    # --- plumbing --------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._down:
            writer.transport.abort()
            return
        try:
            s_reader, s_writer = await asyncio.open_connection(self.target_host,
                                                               self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pipe = _Pipe(reader, writer, s_reader, s_writer)
        pipe.flowing.set()
        self._pipes.add(pipe)
        pipe.tasks = [asyncio.create_task(self._upstream(pipe)),
                      asyncio.create_task(self._downstream(pipe))]

    def _take(self, patterns: list[bytes], chunk: bytes) -> bool:
        for i, pattern in enumerate(patterns):
            if pattern in chunk:
                del patterns[i]
                return True
        return False

    async def _upstream(self, pipe: _Pipe) -> None:
        try:
            while chunk := await pipe.client_reader.read(65536):
                if self._take(self._drop, chunk):
                    self.requests_dropped += 1
                    self._finish(pipe)
                    return
                if self._take(self._lose_reply, chunk):
                    pipe.lose_next_reply.set()
                pipe.server_writer.write(chunk)
                await pipe.server_writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        self._finish(pipe)

    async def _downstream(self, pipe: _Pipe) -> None:
        try:
            while chunk := await pipe.server_reader.read(65536):
                if pipe.lose_next_reply.is_set():
                    if _READY not in chunk:
                        continue  # the server is still answering: swallow it
                    # The server is done (and has committed): the client never hears it.
                    self.replies_lost += 1
                    self._finish(pipe)
                    return
                await pipe.flowing.wait()
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                pipe.client_writer.write(chunk)
                await pipe.client_writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        self._finish(pipe)

    def _finish(self, pipe: _Pipe) -> None:
        if pipe in self._pipes:
            self._pipes.discard(pipe)
            self.cuts += 1
        pipe.cut()
