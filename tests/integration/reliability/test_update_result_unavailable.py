"""Found by `make chaos temporal`: a hold confirm whose first answer was lost while Temporal
restarted had closed the hold; its retry with the same Idempotency-Key looked the earlier
outcome up while Temporal was still unreachable, the lookup's RPC error was taken for "no
earlier outcome" and the client was told 400 HOLD_CLOSED for its own confirm. Unreachable must
stay a retryable 503; only "no such update" means there is no earlier outcome."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from api.temporal import Temporal, TemporalUnavailableError


class _Handle:
    def __init__(self, error: BaseException | None, value: Any = None) -> None:
        self.error, self.value = error, value

    def get_workflow_handle(self, _workflow_id: str) -> _Handle:
        return self

    def get_update_handle(self, _update_id: str, result_type: Any = None) -> _Handle:
        return self

    async def result(self, rpc_timeout: Any = None) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def _temporal(error: BaseException | None, value: Any = None) -> Temporal:
    temporal = Temporal("127.0.0.1:1", "default")
    temporal._client = _Handle(error, value)  # type: ignore[assignment]
    return temporal


async def test_unreachable_is_503_not_no_outcome() -> None:
    temporal = _temporal(RPCError("tcp connect error", RPCStatusCode.UNAVAILABLE, b""))
    with pytest.raises(TemporalUnavailableError):
        await temporal.update_result("hold-1", "confirm-k", dict)


async def test_no_such_update_is_no_outcome() -> None:
    temporal = _temporal(RPCError("not found", RPCStatusCode.NOT_FOUND, b""))
    assert await temporal.update_result("hold-1", "confirm-k", dict) is None


async def test_an_earlier_outcome_is_returned() -> None:
    temporal = _temporal(None, {"status": "CONFIRMED"})
    assert await temporal.update_result("hold-1", "confirm-k", dict) == {"status": "CONFIRMED"}
