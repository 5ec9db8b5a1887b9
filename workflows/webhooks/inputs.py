"""Workflow names, IDs and inputs of the webhooks processes: what starters (the dispatcher, the
API) need, without the workflow code or the activity contracts."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from pydantic import BaseModel

from domain.webhooks.policy import RetrySchedule

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
