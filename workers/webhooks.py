"""The webhooks module's worker registration (composition root), and the starter of retry
workflows that the events dispatcher (workers/dispatcher.py) hands to the batch sender."""

from __future__ import annotations

import contextlib

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.webhooks.activities import WebhookActivities
from activities.webhooks.batch_sender import StartRetry
from activities.webhooks.http_sender import WebhookHttpSender, new_http_client
from config.modules import ModuleSettings
from config.webhooks import WebhooksSettings
from domain.webhooks.models import Delivery
from domain.webhooks.policy import RetrySchedule
from storage.database import Database
from storage.webhooks.store import SqlWebhookStore
from workers.metrics import CountedDeliveryQueue
from workers.registration import Registration
from workflows.start import start_options
from workflows.webhooks.all import WORKFLOWS
from workflows.webhooks.inputs import retry_start


def retry_starter(client: Client, settings: WebhooksSettings) -> StartRetry:
    schedule = RetrySchedule.of(settings)

    async def start(delivery: Delivery) -> str:
        spec = retry_start(delivery, schedule)
        # The spec's REJECT_DUPLICATE policy makes a second start (a sender re-run after a
        # crash) a no-op: the first run is the delivery's.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(spec.workflow, spec.arg,
                                        **start_options(spec, settings.task_queue))
        return spec.id

    return start


def webhook_activities(database: Database, settings: WebhooksSettings) -> WebhookActivities:
    # One client for the worker's lifetime: connections to receivers are reused across attempts.
    http = new_http_client(settings.http_timeout.total_seconds(), settings.max_concurrent_sends)
    return WebhookActivities(CountedDeliveryQueue(database), SqlWebhookStore(database),
                             WebhookHttpSender(http))


def register(database: Database, modules: ModuleSettings) -> Registration:
    acts = webhook_activities(database, modules.webhooks)
    return Registration(modules.webhooks.task_queue, list(WORKFLOWS), acts.all(),
                        on_close=[acts.sender.client.aclose])
