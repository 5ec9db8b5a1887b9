"""Rows to domain models."""

from __future__ import annotations

from typing import Any

from domain.webhooks.models import Attempt, AttemptOutcome, Delivery, DeliveryStatus, WebhookConfig


def config_from_row(row: Any) -> WebhookConfig:
    return WebhookConfig(
        id=row.id, endpoint=row.endpoint, secret=row.secret, event_types=list(row.event_types),
        active=row.active, name=row.name, created_at=row.created_at, updated_at=row.updated_at,
    )


def delivery_from_row(row: Any) -> Delivery:
    return Delivery(
        id=row.id, event_id=row.event_id, config_id=row.config_id, event_type=row.event_type,
        idempotency_key=row.idempotency_key, payload=row.payload,
        status=DeliveryStatus(row.status), attempt_count=row.attempt_count,
        replay_generation=row.replay_generation, cycle_started_at=row.cycle_started_at,
        next_attempt_at=row.next_attempt_at, claimed_at=row.claimed_at,
        last_attempt_at=row.last_attempt_at, last_status_code=row.last_status_code,
        last_error=row.last_error, retry_workflow_id=row.retry_workflow_id,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def attempt_from_row(row: Any) -> Attempt:
    return Attempt(
        id=row.id, delivery_id=row.delivery_id, attempt_number=row.attempt_number,
        replay_generation=row.replay_generation, endpoint=row.endpoint,
        outcome=AttemptOutcome(row.outcome), status_code=row.status_code, error=row.error,
        duration_ms=row.duration_ms, response_excerpt=row.response_excerpt,
        next_retry_at=row.next_retry_at, created_at=row.created_at,
    )
