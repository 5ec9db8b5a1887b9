"""How workflows call the wallets activities; timeouts and retry policies are set here once."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.wallets.contracts import (
    BUSINESS_ERRORS,
    RETURN_HOLD,
    SETTLE_HOLD,
    HoldBalance,
    ReturnHoldInput,
    SettleHoldInput,
)

# One ledger write: seconds at most. Infrastructure failures (database, worker crash) are retried
# without limit, which is safe because every attempt carries the same ledger idempotency key and
# hash: a retry after a commit replays it instead of posting twice.
_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30), maximum_attempts=0,
    non_retryable_error_types=BUSINESS_ERRORS,
)


async def settle_hold(data: SettleHoldInput) -> HoldBalance:
    result: HoldBalance = await workflow.execute_activity(
        SETTLE_HOLD, data, result_type=HoldBalance, start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY, summary=f"confirm hold {data.hold_id}",
    )
    return result


async def return_hold(data: ReturnHoldInput) -> HoldBalance:
    result: HoldBalance = await workflow.execute_activity(
        RETURN_HOLD, data, result_type=HoldBalance, start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY, summary=f"void hold {data.hold_id}",
    )
    return result
