"""Request bodies and the JSON shapes of the Formance webhooks spec."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.webhooks.models import Attempt, ConfigInput, Delivery, TestDelivery, WebhookConfig
from domain.webhooks.replays import BulkReplayResult


class ConfigUser(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    endpoint: str
    secret: str | None = None
    event_types: list[str] = Field(alias="eventTypes")
    name: str | None = None

    def to_domain(self) -> ConfigInput:
        return ConfigInput(endpoint=self.endpoint, event_types=self.event_types,
                           secret=self.secret, name=self.name)


class ConfigChangeSecret(BaseModel):
    secret: str | None = None


ReplayStatus = Literal["failed", "pending"]


def _replay_statuses() -> list[ReplayStatus]:
    return ["failed", "pending"]


class ReplayDeliveriesRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    created_from: datetime = Field(alias="createdAtFrom")
    created_to: datetime | None = Field(default=None, alias="createdAtTo")
    statuses: list[ReplayStatus] = Field(default_factory=_replay_statuses)
    config_ids: list[UUID] = Field(default_factory=list, alias="configIds")
    cursor: str | None = None
    page_size: int = Field(default=1000, ge=1, le=1000, alias="pageSize")


def rfc3339(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def config_json(config: WebhookConfig) -> dict[str, Any]:
    return _without_none({
        "id": str(config.id), "endpoint": config.endpoint, "secret": config.secret,
        "eventTypes": config.event_types, "active": config.active, "name": config.name,
        "createdAt": rfc3339(config.created_at), "updatedAt": rfc3339(config.updated_at),
    })


def test_attempt_json(result: TestDelivery, config: WebhookConfig) -> dict[str, Any]:
    """The older `Attempt` shape the seed spec returns for `/test` (statuses success/failed)."""
    return {
        "id": str(result.attempt_id), "webhookID": str(result.webhook_id),
        "createdAt": rfc3339(result.created_at), "updatedAt": rfc3339(result.created_at),
        "config": config_json(config), "payload": result.payload,
        "statusCode": result.status_code, "retryAttempt": 0,
        "status": "success" if result.succeeded else "failed",
    }


def delivery_json(delivery: Delivery, *, with_payload: bool) -> dict[str, Any]:
    return _without_none({
        "id": str(delivery.id), "eventID": str(delivery.event_id),
        "idempotencyKey": delivery.idempotency_key, "configID": str(delivery.config_id),
        "eventType": delivery.event_type,
        "payload": delivery.payload if with_payload else None,
        "status": delivery.status.value, "attemptCount": delivery.attempt_count,
        "replayGeneration": delivery.replay_generation,
        "cycleStartedAt": rfc3339(delivery.cycle_started_at),
        "nextAttemptAt": rfc3339(delivery.next_attempt_at),
        "claimedAt": rfc3339(delivery.claimed_at),
        "lastAttemptAt": rfc3339(delivery.last_attempt_at),
        "lastStatusCode": delivery.last_status_code, "lastError": delivery.last_error,
        "createdAt": rfc3339(delivery.created_at), "updatedAt": rfc3339(delivery.updated_at),
    })


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return _without_none({
        "id": str(attempt.id), "deliveryID": str(attempt.delivery_id),
        "attemptNumber": attempt.attempt_number, "replayGeneration": attempt.replay_generation,
        "endpoint": attempt.endpoint, "outcome": attempt.outcome.value,
        "statusCode": attempt.status_code, "error": attempt.error,
        "durationMillis": attempt.duration_ms, "responseExcerpt": attempt.response_excerpt,
        "nextRetryAt": rfc3339(attempt.next_retry_at), "createdAt": rfc3339(attempt.created_at),
    })


def replay_result_json(result: BulkReplayResult, next_cursor: str | None) -> dict[str, Any]:
    return _without_none({
        "replayed": result.replayed, "expedited": result.expedited, "skipped": result.skipped,
        "hasMore": result.has_more, "nextCursor": next_cursor,
        "createdAtTo": rfc3339(result.created_to),
    })
