"""WebhookTestWorkflow: `GET /configs/{id}/test`, one real signed delivery, no retry. A workflow
so that the API, which holds no HTTP sender, gets it done by the webhooks workers."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import stubs
    from activities.webhooks.contracts import SendTestInput
    from domain.webhooks.models import TestDelivery
    from workflows.webhooks.inputs import TEST_WORKFLOW, TestWebhookInput


@workflow.defn(name=TEST_WORKFLOW)
class WebhookTestWorkflow:
    @workflow.run
    async def run(self, data: TestWebhookInput) -> TestDelivery:
        return await stubs.send_test(SendTestInput(config_id=data.config_id))
