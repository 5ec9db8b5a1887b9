"""The fake PSP (workers/fake_psp.py) served over real HTTP on 127.0.0.1, on the test's own
event loop, for the payments tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from workers.fake_psp import FakePSP, create_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve_fake_psp(psp: FakePSP) -> AsyncIterator[str]:
    """Yields the PSP's base URL while it serves."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(psp), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
