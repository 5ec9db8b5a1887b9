"""The webhooks activities run by the retry and test workflows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from activities.defn import activity_defn
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
from domain.webhooks.errors import ConfigNotFoundError, DeliveryNotFoundError
from domain.webhooks.models import AttemptOutcome, DeliveryStatus, TestDelivery
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

    @activity_defn(ATTEMPT_DELIVERY)
    async def attempt_delivery(self, data: AttemptDeliveryInput) -> AttemptDeliveryResult:
        job = await self.queue.claim_for_retry(data.delivery_id)
        if job is None:
            raise DeliveryNotFoundError(data.delivery_id)
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

    @activity_defn(CANCEL_DELIVERY)
    async def cancel_delivery(self, data: CancelDeliveryInput) -> None:
        await self.queue.cancel(data.delivery_id)

    @activity_defn(SEND_TEST)
    async def send_test(self, data: SendTestInput) -> TestDelivery:
        config = await self.store.get_config(data.config_id)
        if config is None:
            raise ConfigNotFoundError(data.config_id)
        webhook_id = uuid4()
        created_at = datetime.now(UTC)
        http = await self.sender.send(
            endpoint=config.endpoint, secret=config.secret, webhook_id=str(webhook_id),
            body=TEST_PAYLOAD.encode(), test=True, idempotency_key=None,
        )
        return TestDelivery(
            attempt_id=uuid4(), webhook_id=webhook_id, config_id=config.id, payload=TEST_PAYLOAD,
            status_code=http.status_code or 0,
            succeeded=classify(http.status_code) is AttemptOutcome.SUCCEEDED,
            error=http.error, created_at=created_at,
        )

    def all(self) -> list[Callable[..., Any]]:
        return [self.attempt_delivery, self.cancel_delivery, self.send_test]
