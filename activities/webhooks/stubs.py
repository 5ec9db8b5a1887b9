"""How workflows call the webhooks activities (activities/stub.py sets the shared rules)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.stub import Stub
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
)

attempt_delivery: Stub[AttemptDeliveryInput, AttemptDeliveryResult] = Stub(
    ATTEMPT_DELIVERY, AttemptDeliveryResult, _ATTEMPT_TIMEOUT, _INFRASTRUCTURE_RETRY)
cancel_delivery: Stub[CancelDeliveryInput, None] = Stub(
    CANCEL_DELIVERY, None, timedelta(seconds=30), _INFRASTRUCTURE_RETRY)
# One real delivery, never retried: that is what "test" means in Formance.
send_test: Stub[SendTestInput, TestDelivery] = Stub(
    SEND_TEST, TestDelivery, _ATTEMPT_TIMEOUT, RetryPolicy(maximum_attempts=1))
