"""How workflows call the wallets activities (activities/stub.py sets the shared rules)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.stub import Stub
from activities.wallets.contracts import (
    RETURN_HOLD,
    SETTLE_HOLD,
    HoldBalance,
    ReturnHoldInput,
    SettleHoldInput,
)

# One ledger write: seconds at most. Infrastructure failures are retried without limit, which is
# safe because every attempt carries the same ledger idempotency key and hash: a retry after a
# commit replays it instead of posting twice.
_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30), maximum_attempts=0,
)

settle_hold: Stub[SettleHoldInput, HoldBalance] = Stub(
    SETTLE_HOLD, HoldBalance, _TIMEOUT, _RETRY,
    summary=lambda data: f"confirm hold {data.hold_id}")
return_hold: Stub[ReturnHoldInput, HoldBalance] = Stub(
    RETURN_HOLD, HoldBalance, _TIMEOUT, _RETRY,
    summary=lambda data: f"void hold {data.hold_id}")
