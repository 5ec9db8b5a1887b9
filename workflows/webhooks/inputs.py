"""Workflow names, IDs and inputs of the webhooks processes: what starters (the dispatcher, the
API) need, without the workflow code or the activity contracts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from pydantic import BaseModel
from temporalio.common import SearchAttributePair, WorkflowIDReusePolicy

from domain.webhooks.models import Delivery, DeliveryStatus
from domain.webhooks.policy import RetrySchedule
from workflows import search_attributes
from workflows.start import StartSpec

RETRY_WORKFLOW = "webhook-retry"
TEST_WORKFLOW = "webhook-test"


def retry_workflow_id(config_id: UUID, delivery_id: UUID, replay_generation: int = 0) -> str:
    """One workflow per delivery; a replay is a new generation, hence a new ID."""
    base = f"webhook-{config_id}-{delivery_id}"
    return base if replay_generation == 0 else f"{base}-r{replay_generation}"


def test_workflow_id(config_id: UUID, request_id: UUID) -> str:
    return f"webhook-test-{config_id}-{request_id}"


class RetryWorkflowInput(BaseModel):
    delivery_id: UUID
    config_id: UUID
    event_type: str
    attempts_made: int  # attempts already recorded (the batch sender's first one)
    first_delay: timedelta  # before the next attempt, decided when the last one failed
    schedule: RetrySchedule


class RetryWorkflowResult(BaseModel):
    status: str  # the delivery's final status: succeeded, failed or cancelled
    attempts: int


class TestWebhookInput(BaseModel):
    __test__ = False  # not a pytest test class

    config_id: UUID


def retry_start(delivery: Delivery, schedule: RetrySchedule) -> StartSpec:
    """The retry workflow of a delivery whose first attempt failed retryably."""
    now = datetime.now(UTC)
    return StartSpec(
        RETRY_WORKFLOW,
        retry_workflow_id(delivery.config_id, delivery.id, delivery.replay_generation),
        RetryWorkflowInput(
            delivery_id=delivery.id, config_id=delivery.config_id,
            event_type=delivery.event_type, attempts_made=delivery.attempt_count,
            first_delay=max((delivery.next_attempt_at or now) - now, timedelta(0)),
            schedule=schedule,
        ),
        # A second start for the same delivery (a sender re-run after a crash) must not create
        # a second run, even after the first one finished.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=(
            SearchAttributePair(search_attributes.CONFIG_ID, str(delivery.config_id)),
            SearchAttributePair(search_attributes.EVENT_TYPE, delivery.event_type),
            SearchAttributePair(search_attributes.STATUS, DeliveryStatus.PENDING.value),
        ),
        summary=f"{delivery.event_type} to webhook config {delivery.config_id}",
        details=f"delivery {delivery.id} of outbox event {delivery.event_id}",
    )


def delivery_test_start(config_id: UUID, request_id: UUID) -> StartSpec:
    """One test delivery per request: a fresh id each time."""
    return StartSpec(
        TEST_WORKFLOW, test_workflow_id(config_id, request_id),
        TestWebhookInput(config_id=config_id),
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        # Findable with the config's retries: LedgerflowConfigId = "<config id>".
        search_attributes=(SearchAttributePair(search_attributes.CONFIG_ID, str(config_id)),),
        summary=f"test delivery to webhook config {config_id}",
        details=f"one signed request to the endpoint of webhook config {config_id} (request "
                f"{request_id}); its answer is the test's result",
        execution_timeout=timedelta(minutes=2),
    )
