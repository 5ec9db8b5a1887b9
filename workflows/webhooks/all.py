"""Every webhooks workflow, for worker registration and replay."""

from workflows.webhooks.retry import WebhookRetryWorkflow
from workflows.webhooks.test_delivery import WebhookTestWorkflow

WORKFLOWS: list[type] = [WebhookRetryWorkflow, WebhookTestWorkflow]
