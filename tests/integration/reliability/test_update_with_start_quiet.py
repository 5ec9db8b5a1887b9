"""Found by `make chaos temporal`: every update-with-start (hold confirm/void) that failed while
Temporal was away left the SDK's start-operation future holding the same error, unread, and
asyncio logged "Future exception was never retrieved" with a traceback for each. The call must
still answer 503, and leave no such future behind."""

from __future__ import annotations

import gc
import logging
from typing import Any

import pytest
from pydantic import BaseModel
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api.temporal import Temporal, TemporalUnavailableError
from workflows.start import StartSpec


class _Arg(BaseModel):
    pass


class _Client:
    async def execute_update_with_start_workflow(self, *_: Any, **kw: Any) -> Any:
        error = RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b"")
        kw["start_workflow_operation"]._workflow_handle.set_exception(error)  # as the SDK does
        raise error


async def test_a_failed_update_with_start_is_503_and_logs_no_unretrieved_future(
        caplog: pytest.LogCaptureFixture) -> None:
    temporal = Temporal("127.0.0.1:1", "default")
    temporal._client = _Client()  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with pytest.raises(TemporalUnavailableError):
            await temporal.update_with_start(
                StartSpec("wf", "wf-1", _Arg(), WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                          WorkflowIDConflictPolicy.USE_EXISTING), "q",
                "confirm", dict, update_id="confirm-k")
        gc.collect()  # an unread future's error is logged when it is collected
    assert "never retrieved" not in caplog.text
