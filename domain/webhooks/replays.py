"""Replaying deliveries (`POST /deliveries/{id}/replay`, `POST /deliveries/replay`).

A replay starts a new generation of the delivery: `replay_generation + 1`, no attempts yet, status
`pending`. The batch sender then makes its first attempt like any new delivery (same
`formance-webhook-id`: the delivery id), and a retryable failure gets the retry workflow
`webhook-<config>-<delivery>-r<generation>`. A pending delivery waiting for a retry is expedited
the same way (its sleeping retry workflow is terminated, not cancelled: cancelling would cancel
the row); one never attempted is already at the head of the queue and is left as it is. Results
are cached by Idempotency-Key in `webhook_replay_requests`: a repeat returns the first answer, a
different request with the same key is a conflict."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from pydantic import BaseModel, Field

from domain.errors import ConflictError, ValidationError
from domain.webhooks.errors import DeliveryNotFoundError
from domain.webhooks.models import Delivery, DeliveryStatus, WebhookConfig

REPLAYABLE_IN_BULK = (DeliveryStatus.FAILED, DeliveryStatus.PENDING)


class ReplayAction(StrEnum):
    REPLAYED = "replayed"    # a new generation
    EXPEDITED = "expedited"  # was pending: sent now rather than at its next retry
    SKIPPED = "skipped"      # config inactive or deleted, or an attempt in flight


def replay_action(delivery: Delivery, config: WebhookConfig | None) -> ReplayAction:
    if config is None or not config.active or delivery.status is DeliveryStatus.DELIVERING:
        return ReplayAction.SKIPPED
    if delivery.status is DeliveryStatus.PENDING:
        return ReplayAction.EXPEDITED
    return ReplayAction.REPLAYED


def needs_new_generation(delivery: Delivery) -> bool:
    """False for a pending delivery never attempted: the batch sender takes it next anyway."""
    return not (delivery.status is DeliveryStatus.PENDING and delivery.attempt_count == 0
                and delivery.retry_workflow_id is None)


class BulkReplayRequest(BaseModel):
    created_from: datetime
    created_to: datetime | None = None  # None: now, fixed when the first page is read
    statuses: list[DeliveryStatus] = Field(default_factory=lambda: list(REPLAYABLE_IN_BULK))
    config_ids: list[UUID] = Field(default_factory=list)
    page_size: int = 1000
    after: tuple[datetime, UUID] | None = None  # the (created_at, id) ending the previous page


class BulkReplayResult(BaseModel):
    replayed: int
    expedited: int
    skipped: int
    has_more: bool
    next_after: tuple[datetime, UUID] | None
    created_to: datetime


class ReplayedDelivery(BaseModel):
    delivery: Delivery
    action: ReplayAction


def request_hash(operation: str, body: object) -> str:
    text = json.dumps([operation, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ReplayStore(Protocol):
    async def replay_delivery(
        self, delivery_id: UUID, *, key: str, request_hash: str, now: datetime
    ) -> tuple[ReplayedDelivery | None, list[str]]:
        """In one transaction: the cached answer for `key`, or replay the delivery (if it can be)
        and cache the answer. Returns it (None: no such delivery) and the retry workflows to
        terminate. Raises ConflictError when `key` was used for another request."""
        ...

    async def replay_deliveries(
        self, request: BulkReplayRequest, *, key: str, request_hash: str, now: datetime
    ) -> tuple[BulkReplayResult, list[str]]:
        """The same for one page of deliveries (oldest first)."""
        ...


class RetryTerminator(Protocol):
    async def terminate(self, workflow_ids: Sequence[str]) -> None:
        """Terminate these retry workflows (best effort; finished or unknown ones ignored)."""
        ...


def checked_key(key: str) -> str:
    if not key.strip() or len(key) > 255:
        raise ValidationError("Idempotency-Key: 1 to 255 characters required")
    return key


class WebhookReplays:
    def __init__(self, store: ReplayStore, terminator: RetryTerminator) -> None:
        self.store = store
        self.terminator = terminator

    async def replay(self, delivery_id: UUID, key: str) -> Delivery:
        found, stale = await self.store.replay_delivery(
            delivery_id, key=checked_key(key),
            request_hash=request_hash("replayDelivery", str(delivery_id)), now=datetime.now(UTC),
        )
        if found is None:
            raise DeliveryNotFoundError(delivery_id)
        await self.terminator.terminate(stale)
        if found.action is ReplayAction.SKIPPED:
            if found.delivery.status is DeliveryStatus.DELIVERING:
                raise ConflictError(f"delivery {delivery_id}: an attempt is in flight")
            raise ConflictError(
                f"delivery {delivery_id}: config {found.delivery.config_id} is inactive or deleted"
            )
        return found.delivery

    async def replay_many(self, request: BulkReplayRequest, key: str) -> BulkReplayResult:
        for status in request.statuses:
            if status not in REPLAYABLE_IN_BULK:
                raise ValidationError(f"statuses: {status.value!r} is not failed or pending")
        if request.created_to is not None and request.created_to <= request.created_from:
            raise ValidationError("createdAtTo must be after createdAtFrom")
        result, stale = await self.store.replay_deliveries(
            request, key=checked_key(key),
            request_hash=request_hash("replayDeliveries", request.model_dump(mode="json")),
            now=datetime.now(UTC),
        )
        await self.terminator.terminate(stale)
        return result
