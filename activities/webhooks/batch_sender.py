"""The happy path: first attempts of pending deliveries, batched and sent concurrently outside
Temporal. Only a delivery whose first attempt fails retryably gets a (durable) retry workflow."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from activities.webhooks.attempts import attempt_delivery
from activities.webhooks.http_sender import WebhookHttpSender
from config.webhooks import WebhooksSettings
from domain.webhooks.models import Delivery, DeliveryStatus
from domain.webhooks.policy import RetrySchedule
from storage.webhooks.delivery_queue import DeliveryJob, DeliveryQueue

log = logging.getLogger("ledgerflow.webhooks")

# Starts the retry workflow of a delivery (idempotently) and returns its workflow ID. Given by the
# composition root: activities do not know the workflows.
StartRetry = Callable[[Delivery], Awaitable[str]]


class BatchSender:
    def __init__(self, queue: DeliveryQueue, sender: WebhookHttpSender, start_retry: StartRetry,
                 settings: WebhooksSettings) -> None:
        self.queue = queue
        self.sender = sender
        self.start_retry = start_retry
        self.settings = settings
        self.schedule = RetrySchedule.of(settings)
        self._slots = asyncio.Semaphore(settings.max_concurrent_sends)

    async def send_batch(self) -> int:
        """One batch of first attempts, then the retry workflows they need."""
        jobs = await self.queue.claim_first_attempts(self.settings.send_batch_size)
        await asyncio.gather(*(self._first_attempt(job) for job in jobs))
        await self.start_pending_retries()
        return len(jobs)

    async def start_pending_retries(self) -> None:
        for delivery in await self.queue.awaiting_retry_workflow(self.settings.send_batch_size):
            try:
                workflow_id = await self.start_retry(delivery)
            except Exception:  # Temporal unreachable: the row stays, the next pass retries
                log.exception("could not start the retry workflow of delivery %s", delivery.id)
                return
            await self.queue.set_retry_workflow(delivery.id, workflow_id)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Until `stop`; `wake` is set by the dispatcher when it enqueued deliveries."""
        poll = self.settings.poll_interval.total_seconds()
        while not stop.is_set():
            try:
                await self.queue.requeue_stale_claims(self.settings.claim_timeout)
                while await self.send_batch() == self.settings.send_batch_size:
                    if stop.is_set():
                        return
            except Exception:  # the database is down: try again on the next tick
                log.exception("webhook batch sender failed")
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, wake), poll)

    async def _first_attempt(self, job: DeliveryJob) -> None:
        async with self._slots:
            if job.config is None or not job.config.active:
                await self.queue.cancel(job.delivery.id)
                return
            report = await attempt_delivery(self.queue, self.sender, job, attempt_number=1,
                                            schedule=self.schedule)
            if report.status is DeliveryStatus.PENDING:
                log.info("delivery %s: first attempt failed (%s), retrying",
                         job.delivery.id, report.attempt.error)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
