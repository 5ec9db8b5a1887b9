"""The events dispatcher process and the webhooks worker registration (composition root).

`run_dispatcher` runs two loops until `stop`: the outbox dispatcher, which turns events into
pending webhook deliveries (exactly once, offset and deliveries in one transaction), and the
batch sender, which makes first attempts and hands retryable failures to Temporal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.webhooks.activities import WebhookActivities
from activities.webhooks.batch_sender import BatchSender, StartRetry
from activities.webhooks.http_sender import WebhookHttpSender, new_http_client
from activities.webhooks.settings import WebhookSettings
from config.settings import Settings
from domain.webhooks.models import Delivery
from domain.webhooks.policy import RetrySchedule
from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.webhooks.consumer import WebhookDeliveriesConsumer
from storage.webhooks.delivery_queue import DeliveryQueue
from storage.webhooks.store import SqlWebhookStore
from workers.registry import Registration
from workflows import search_attributes, task_queues
from workflows.client import connect
from workflows.webhooks.all import WORKFLOWS
from workflows.webhooks.inputs import RETRY_WORKFLOW, RetryWorkflowInput, retry_workflow_id

log = logging.getLogger("ledgerflow.dispatcher")


def retry_starter(client: Client, schedule: RetrySchedule,
                  task_queue: str = task_queues.WEBHOOKS) -> StartRetry:
    async def start(delivery: Delivery) -> str:
        workflow_id = retry_workflow_id(delivery.config_id, delivery.id,
                                        delivery.replay_generation)
        now = datetime.now(UTC)
        first_delay = max((delivery.next_attempt_at or now) - now, timedelta(0))
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(
                RETRY_WORKFLOW,
                RetryWorkflowInput(
                    delivery_id=delivery.id, config_id=delivery.config_id,
                    event_type=delivery.event_type, attempts_made=delivery.attempt_count,
                    first_delay=first_delay, schedule=schedule,
                ),
                id=workflow_id, task_queue=task_queue,
                # A second start for the same delivery (a sender re-run after a crash) must not
                # create a second run, even after the first one finished.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=TypedSearchAttributes([
                    SearchAttributePair(search_attributes.CONFIG_ID, str(delivery.config_id)),
                    SearchAttributePair(search_attributes.EVENT_TYPE, delivery.event_type),
                    SearchAttributePair(search_attributes.STATUS, "pending"),
                ]),
                static_summary=f"{delivery.event_type} to webhook config {delivery.config_id}",
                static_details=f"delivery {delivery.id} of outbox event {delivery.event_id}",
            )
        return workflow_id

    return start


async def run_dispatcher(
    settings: Settings, database: Database, stop: asyncio.Event, *,
    webhook_settings: WebhookSettings | None = None, temporal_client: Client | None = None,
    task_queue: str = task_queues.WEBHOOKS,
) -> None:
    webhooks = webhook_settings or WebhookSettings()
    client = temporal_client or await connect(settings.effective_temporal_address,
                                              settings.temporal_namespace)
    wake = asyncio.Event()
    dispatcher = OutboxDispatcher(
        database, WebhookDeliveriesConsumer(), batch_size=webhooks.outbox_batch_size,
        on_batch=lambda _: wake.set(),
    )
    async with new_http_client(webhooks.http_timeout.total_seconds(),
                               webhooks.max_concurrent_sends) as http:
        sender = BatchSender(DeliveryQueue(database), WebhookHttpSender(http),
                             retry_starter(client, webhooks.schedule(), task_queue), webhooks)
        log.info("events dispatcher running (webhooks)")
        await asyncio.gather(
            dispatcher.run(stop, poll_interval=webhooks.poll_interval.total_seconds()),
            sender.run(stop, wake),
        )


def webhook_activities(database: Database, webhooks: WebhookSettings) -> WebhookActivities:
    # One client for the worker's lifetime: connections to receivers are reused across attempts.
    http = new_http_client(webhooks.http_timeout.total_seconds(), webhooks.max_concurrent_sends)
    return WebhookActivities(DeliveryQueue(database), SqlWebhookStore(database),
                             WebhookHttpSender(http))


def register(settings: Settings, database: Database) -> dict[str, Registration]:
    """The webhooks contribution to workers.registry."""
    activities = webhook_activities(database, WebhookSettings())
    return {task_queues.WEBHOOKS: Registration(
        workflows=list(WORKFLOWS), activities=list(activities.all()),  # type: ignore[arg-type]
    )}
