"""The webhooks activities run by the retry and test workflows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.webhooks.attempts import attempt_delivery
from activities.webhooks.contracts import (
    ATTEMPT_DELIVERY,
    CANCEL_DELIVERY,
    SEND_TEST,
    AttemptDeliveryInput,
    AttemptDeliveryResult,
    CancelDeliveryInput,
    SendTestInput,
)
from activities.webhooks.http_sender import WebhookHttpSender
from domain.webhooks.models import DeliveryStatus, TestDelivery
from domain.webhooks.policy import classify
from storage.webhooks.delivery_queue import DeliveryQueue
from storage.webhooks.store import SqlWebhookStore

TEST_PAYLOAD = json.dumps({"data": "test"}, separators=(",", ":"))


class WebhookActivities:
    def __init__(self, queue: DeliveryQueue, store: SqlWebhookStore,
                 sender: WebhookHttpSender) -> None:
        self.queue = queue
        self.store = store
        self.sender = sender

    @activity.defn(name=ATTEMPT_DELIVERY)
    async def attempt_delivery(self, data: AttemptDeliveryInput) -> AttemptDeliveryResult:
        job = await self.queue.claim_for_retry(data.delivery_id)
        if job is None:
            raise ApplicationError(f"delivery {data.delivery_id} not found", type="NOT_FOUND",
                                   non_retryable=True)
        delivery = job.delivery
        if delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED,
                               DeliveryStatus.CANCELLED):
            # Already settled (cancelled by a config change, or a re-run of this activity after
            # it recorded): report, never send again.
            return AttemptDeliveryResult(attempt_number=delivery.attempt_count,
                                         status=delivery.status)
        if job.config is None or not job.config.active:
            await self.queue.cancel(delivery.id)
            return AttemptDeliveryResult(attempt_number=delivery.attempt_count,
                                         status=DeliveryStatus.CANCELLED)
        report = await attempt_delivery(
            self.queue, self.sender, job, attempt_number=data.attempt_number,
            schedule=data.schedule,
        )
        return AttemptDeliveryResult(
            attempt_number=report.attempt.attempt_number, status=report.status,
            status_code=report.attempt.status_code, next_delay=report.next_delay,
        )

    @activity.defn(name=CANCEL_DELIVERY)
    async def cancel_delivery(self, data: CancelDeliveryInput) -> None:
        await self.queue.cancel(data.delivery_id)

    @activity.defn(name=SEND_TEST)
    async def send_test(self, data: SendTestInput) -> TestDelivery:
        config = await self.store.get_config(data.config_id)
        if config is None:
            raise ApplicationError(f"config {data.config_id} not found", type="NOT_FOUND",
                                   non_retryable=True)
        webhook_id = uuid4()
        created_at = datetime.now(UTC)
        http = await self.sender.send(
            endpoint=config.endpoint, secret=config.secret, webhook_id=str(webhook_id),
            body=TEST_PAYLOAD.encode(), test=True, idempotency_key=None,
        )
        return TestDelivery(
            attempt_id=uuid4(), webhook_id=webhook_id, config_id=config.id, payload=TEST_PAYLOAD,
            status_code=http.status_code or 0,
            succeeded=classify(http.status_code).value == "succeeded",
            error=http.error, created_at=created_at,
        )

    def all(self) -> list[object]:
        return [self.attempt_delivery, self.cancel_delivery, self.send_test]
