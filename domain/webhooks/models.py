"""Webhook configs, deliveries and attempts, with the Formance status vocabulary."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AttemptOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRYABLE_FAILURE = "retryable_failure"
    PERMANENT_FAILURE = "permanent_failure"


class WebhookConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    endpoint: str
    secret: str
    event_types: list[str]
    active: bool
    name: str | None = None
    created_at: datetime
    updated_at: datetime


class ConfigInput(BaseModel):
    """What a user sends to create or update a config (the Formance `ConfigUser`)."""

    endpoint: str
    event_types: list[str]
    secret: str | None = None
    name: str | None = None


class Delivery(BaseModel):
    id: UUID
    event_id: int
    config_id: UUID
    event_type: str
    idempotency_key: str | None
    payload: str
    status: DeliveryStatus
    attempt_count: int
    replay_generation: int
    cycle_started_at: datetime | None
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    retry_workflow_id: str | None
    created_at: datetime
    updated_at: datetime


class Attempt(BaseModel):
    id: UUID
    delivery_id: UUID
    attempt_number: int
    replay_generation: int
    endpoint: str
    outcome: AttemptOutcome
    status_code: int
    error: str | None
    duration_ms: int
    response_excerpt: str | None
    next_retry_at: datetime | None
    created_at: datetime


class DeliveryFilter(BaseModel):
    config_id: UUID | None = None
    status: DeliveryStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class TestDelivery(BaseModel):
    """The outcome of `GET /configs/{id}/test`: one real, signed delivery of `{"data":"test"}`."""

    __test__ = False  # not a pytest test class, whatever its name

    attempt_id: UUID
    webhook_id: UUID
    config_id: UUID
    payload: str
    status_code: int
    succeeded: bool
    error: str | None = None
    created_at: datetime
