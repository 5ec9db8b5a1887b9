"""WebhookRetryWorkflow: the retries of one delivery whose first attempt failed.

Sleeps the backoff the last attempt decided, runs the next attempt, and stops on success, on a
permanent failure, when the schedule gives up, or when the delivery is cancelled (config
deactivated or deleted: the API cancels this workflow, and the attempt activity also refuses to
send for an inactive config). Every attempt is recorded by its activity."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import stubs
    from activities.webhooks.contracts import AttemptDeliveryInput, CancelDeliveryInput
    from domain.webhooks.models import DeliveryStatus
    from workflows import search_attributes
    from workflows.webhooks.inputs import RETRY_WORKFLOW, RetryWorkflowInput, RetryWorkflowResult


@workflow.defn(name=RETRY_WORKFLOW)
class WebhookRetryWorkflow:
    def __init__(self) -> None:
        self.attempts = 0
        self.status = DeliveryStatus.PENDING

    @workflow.query(name="state")
    def state(self) -> RetryWorkflowResult:
        return RetryWorkflowResult(status=self.status.value, attempts=self.attempts)

    @workflow.run
    async def run(self, data: RetryWorkflowInput) -> RetryWorkflowResult:
        self.attempts = data.attempts_made
        delay = data.first_delay
        try:
            while True:
                self._show(DeliveryStatus.PENDING, f"attempt {self.attempts + 1} in {delay}")
                await workflow.sleep(delay)
                result = await stubs.attempt_delivery(AttemptDeliveryInput(
                    delivery_id=data.delivery_id, attempt_number=self.attempts + 1,
                    schedule=data.schedule,
                ))
                self.attempts = result.attempt_number
                if result.status is not DeliveryStatus.PENDING or result.next_delay is None:
                    self._show(result.status, f"{result.status.value} after "
                               f"{self.attempts} attempt(s), last HTTP {result.status_code}")
                    return RetryWorkflowResult(status=result.status.value,
                                               attempts=self.attempts)
                delay = max(result.next_delay, timedelta(0))
        except asyncio.CancelledError:
            # Cancelled from the API (config deactivated or deleted) or from the Temporal UI:
            # make sure the row says so too, then end as cancelled.
            await stubs.cancel_delivery(CancelDeliveryInput(delivery_id=data.delivery_id))
            self._show(DeliveryStatus.CANCELLED, f"cancelled after {self.attempts} attempt(s)")
            raise

    def _show(self, status: DeliveryStatus, details: str) -> None:
        """What the Temporal UI shows: the status search attribute and the current details."""
        if status is not self.status:  # the starter set "pending"; upsert changes only
            workflow.upsert_search_attributes([search_attributes.STATUS.value_set(status.value)])
        self.status = status
        workflow.set_current_details(details)
