"""Found by `make chaos workers`: an event sent to a flow instance while the worker running it
had just been SIGKILLed waited for the update's 10 s RPC bound, and the client-side timeout
error it raised was not mapped: the API answered 500 INTERNAL "internal error" with a traceback.
It must be the clear, retryable 503 of every unavailable dependency."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from api.errors import install_error_handlers
from api.temporal import TemporalUnavailableError, _mapped


def test_an_update_rpc_timeout_is_temporal_unavailable() -> None:
    with pytest.raises(TemporalUnavailableError) as caught, _mapped():
        raise WorkflowUpdateRPCTimeoutOrCancelledError()
    assert "retry" in caught.value.message


async def test_the_route_answers_503_with_a_body_that_says_retry() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/event")
    async def event() -> None:
        with _mapped():
            raise WorkflowUpdateRPCTimeoutOrCancelledError()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        r = await http.post("/event")
    assert r.status_code == 503, r.text
    assert r.json()["errorCode"] == "INTERNAL"
    assert "no worker answered in time" in r.json()["errorMessage"]
