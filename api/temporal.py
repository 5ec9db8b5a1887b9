"""The API's Temporal client: connected on first use (a module's other routes work without
Temporal) and shared by every module of the app, so one process holds one connection."""

from __future__ import annotations

import asyncio

from fastapi import Request
from temporalio.client import Client

from domain.errors import DomainError
from workflows.client import connect


class TemporalUnavailableError(DomainError):
    code = "SERVICE_UNAVAILABLE"


async def temporal_client(request: Request) -> Client:
    state = request.app.state
    client: Client | None = getattr(state, "temporal_client", None)
    if client is not None:
        return client
    lock: asyncio.Lock | None = getattr(state, "temporal_client_lock", None)
    if lock is None:  # no await since the check above: no other task can race us here
        lock = asyncio.Lock()
        state.temporal_client_lock = lock
    async with lock:
        client = getattr(state, "temporal_client", None)
        if client is None:
            settings = state.settings
            try:
                client = await connect(settings.effective_temporal_address,
                                       settings.temporal_namespace)
            except Exception as exc:  # an unreachable server is a clear 503, not a 500
                raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc
            state.temporal_client = client
    return client
