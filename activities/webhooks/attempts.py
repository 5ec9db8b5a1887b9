"""One delivery attempt, first or retry: send, classify, decide the next retry, record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from activities.webhooks.http_sender import WebhookHttpSender
from domain.webhooks.models import Attempt, AttemptOutcome, DeliveryStatus
from domain.webhooks.policy import RetrySchedule, classify, next_retry_delay, parse_retry_after
from storage.webhooks.delivery_queue import DeliveryJob, DeliveryQueue


@dataclass(frozen=True)
class AttemptReport:
    attempt: Attempt
    status: DeliveryStatus  # pending means "retry after next_delay"
    next_delay: timedelta | None


async def attempt_delivery(
    queue: DeliveryQueue, sender: WebhookHttpSender, job: DeliveryJob, *, attempt_number: int,
    schedule: RetrySchedule,
) -> AttemptReport:
    delivery, config = job.delivery, job.config
    assert config is not None, "callers cancel deliveries whose config is gone"
    started = datetime.now(UTC)
    http = await sender.send(
        endpoint=config.endpoint, secret=config.secret, webhook_id=str(delivery.id),
        body=delivery.payload.encode(), test=False, idempotency_key=delivery.idempotency_key,
    )
    outcome = classify(http.status_code)
    next_delay: timedelta | None = None
    if outcome is AttemptOutcome.SUCCEEDED:
        status = DeliveryStatus.SUCCEEDED
    elif outcome is AttemptOutcome.PERMANENT_FAILURE:
        status = DeliveryStatus.FAILED
    else:
        finished = datetime.now(UTC)
        next_delay = next_retry_delay(
            schedule, attempts_made=attempt_number,
            first_attempt_at=delivery.cycle_started_at or started, now=finished,
            retry_after=parse_retry_after(http.retry_after, finished),
        )
        status = DeliveryStatus.PENDING if next_delay is not None else DeliveryStatus.FAILED
    attempt = Attempt(
        id=uuid4(), delivery_id=delivery.id, attempt_number=attempt_number,
        replay_generation=delivery.replay_generation, endpoint=config.endpoint, outcome=outcome,
        status_code=http.status_code or 0, error=http.error, duration_ms=http.duration_ms,
        response_excerpt=http.response_excerpt,
        next_retry_at=datetime.now(UTC) + next_delay if next_delay is not None else None,
        created_at=started,
    )
    await queue.record_attempt(attempt, status)
    return AttemptReport(attempt, status, next_delay)
