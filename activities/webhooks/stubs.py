"""How workflows call the webhooks activities; timeouts and retry policies are set here once."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.webhooks.contracts import (
    ATTEMPT_DELIVERY,
    CANCEL_DELIVERY,
    SEND_TEST,
    AttemptDeliveryInput,
    AttemptDeliveryResult,
    CancelDeliveryInput,
    SendTestInput,
)
from domain.webhooks.models import TestDelivery

# The HTTP timeout (30 s) plus recording. The receiver's answers are results, not errors; only
# infrastructure failures (database, worker crash) raise, and those are worth retrying: a retried
# attempt re-sends with the same webhook id and records its attempt once.
_ATTEMPT_TIMEOUT = timedelta(seconds=60)
_INFRASTRUCTURE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30), maximum_attempts=20,
    non_retryable_error_types=["NOT_FOUND", "VALIDATION"],
)


async def attempt_delivery(data: AttemptDeliveryInput) -> AttemptDeliveryResult:
    result: AttemptDeliveryResult = await workflow.execute_activity(
        ATTEMPT_DELIVERY, data, result_type=AttemptDeliveryResult,
        start_to_close_timeout=_ATTEMPT_TIMEOUT, retry_policy=_INFRASTRUCTURE_RETRY,
    )
    return result


async def cancel_delivery(data: CancelDeliveryInput) -> None:
    await workflow.execute_activity(
        CANCEL_DELIVERY, data, start_to_close_timeout=timedelta(seconds=30),
        retry_policy=_INFRASTRUCTURE_RETRY,
    )


async def send_test(data: SendTestInput) -> TestDelivery:
    # One real delivery, never retried: that is what "test" means in Formance.
    result: TestDelivery = await workflow.execute_activity(
        SEND_TEST, data, result_type=TestDelivery, start_to_close_timeout=_ATTEMPT_TIMEOUT,
        retry_policy=RetryPolicy(maximum_attempts=1),
    )
    return result
