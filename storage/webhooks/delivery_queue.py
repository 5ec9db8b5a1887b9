"""The delivery rows as a work queue: claimed by the batch sender for first attempts, by the retry
activity for later ones, and updated with every attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.webhooks.models import Attempt, Delivery, DeliveryStatus, WebhookConfig
from storage.database import Database
from storage.webhooks.rows import config_from_row, delivery_from_row
from storage.webhooks.tables import webhook_attempts, webhook_configs, webhook_deliveries

_d = webhook_deliveries.c


@dataclass(frozen=True)
class DeliveryJob:
    delivery: Delivery
    config: WebhookConfig | None  # None: the config was deleted meanwhile


class DeliveryQueue:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def claim_first_attempts(self, limit: int) -> list[DeliveryJob]:
        """Pending deliveries never attempted, oldest first, marked `delivering`. SKIP LOCKED lets
        several senders share the queue without sending a delivery twice."""
        now = datetime.now(UTC)
        due = (
            select(_d.id)
            .where(and_(_d.status == DeliveryStatus.PENDING.value, _d.attempt_count == 0))
            .order_by(_d.created_at, _d.id).limit(limit)
            .with_for_update(skip_locked=True).scalar_subquery()
        )
        async with self.database.transaction() as conn:
            rows = (await conn.execute(
                update(webhook_deliveries).where(_d.id.in_(due))
                .values(status=DeliveryStatus.DELIVERING.value, claimed_at=now, updated_at=now)
                .returning(webhook_deliveries)
            )).all()
            deliveries = sorted((delivery_from_row(r) for r in rows),
                                key=lambda d: (d.created_at, str(d.id)))
            configs = await self._configs(conn, {d.config_id for d in deliveries})
        return [DeliveryJob(d, configs.get(d.config_id)) for d in deliveries]

    async def claim_for_retry(self, delivery_id: UUID) -> DeliveryJob | None:
        """The delivery (any status, so the caller sees a cancellation) and its config; marks it
        `delivering` when it is pending."""
        now = datetime.now(UTC)
        async with self.database.transaction() as conn:
            row = (await conn.execute(
                select(webhook_deliveries).where(_d.id == delivery_id).with_for_update()
            )).first()
            if row is None:
                return None
            delivery = delivery_from_row(row)
            if delivery.status is DeliveryStatus.PENDING:
                await conn.execute(
                    update(webhook_deliveries).where(_d.id == delivery_id)
                    .values(status=DeliveryStatus.DELIVERING.value, claimed_at=now,
                            updated_at=now)
                )
            configs = await self._configs(conn, {delivery.config_id})
        return DeliveryJob(delivery, configs.get(delivery.config_id))

    async def record_attempt(self, attempt: Attempt, status: DeliveryStatus) -> None:
        """Store the attempt (once, even if the recording activity is retried) and move the
        delivery to `status`, unless it was cancelled meanwhile: a cancellation wins."""
        now = datetime.now(UTC)
        async with self.database.transaction() as conn:
            await conn.execute(
                insert(webhook_attempts).values(**attempt.model_dump())
                .on_conflict_do_nothing(
                    index_elements=["delivery_id", "replay_generation", "attempt_number"]
                )
            )
            await conn.execute(
                update(webhook_deliveries)
                .where(and_(_d.id == attempt.delivery_id,
                            _d.status != DeliveryStatus.CANCELLED.value))
                .values(
                    status=status.value,
                    attempt_count=func.greatest(_d.attempt_count, attempt.attempt_number),
                    cycle_started_at=func.coalesce(_d.cycle_started_at, attempt.created_at),
                    next_attempt_at=attempt.next_retry_at,
                    claimed_at=None,
                    last_attempt_at=attempt.created_at,
                    last_status_code=attempt.status_code,
                    last_error=attempt.error,
                    updated_at=now,
                )
            )

    async def cancel(self, delivery_id: UUID) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(
                update(webhook_deliveries)
                .where(and_(_d.id == delivery_id, _d.status.in_(
                    [DeliveryStatus.PENDING.value, DeliveryStatus.DELIVERING.value])))
                .values(status=DeliveryStatus.CANCELLED.value, next_attempt_at=None,
                        claimed_at=None, updated_at=datetime.now(UTC))
            )

    async def awaiting_retry_workflow(self, limit: int) -> list[Delivery]:
        """Deliveries whose first attempt failed and whose retry workflow is not started yet
        (the sender crashed, or Temporal was down, between the two)."""
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(
                select(webhook_deliveries).where(and_(
                    _d.status == DeliveryStatus.PENDING.value, _d.attempt_count > 0,
                    _d.retry_workflow_id.is_(None),
                )).order_by(_d.created_at).limit(limit)
            )).all()
        return [delivery_from_row(r) for r in rows]

    async def set_retry_workflow(self, delivery_id: UUID, workflow_id: str) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(
                update(webhook_deliveries).where(_d.id == delivery_id)
                .values(retry_workflow_id=workflow_id, updated_at=datetime.now(UTC))
            )

    async def requeue_stale_claims(self, older_than: timedelta) -> int:
        """First attempts claimed by a sender that died before recording them go back to the
        queue. Retries are not touched: their workflow's activity retry redoes them."""
        cutoff = datetime.now(UTC) - older_than
        async with self.database.transaction() as conn:
            result = await conn.execute(
                update(webhook_deliveries).where(and_(
                    _d.status == DeliveryStatus.DELIVERING.value, _d.claimed_at < cutoff,
                    _d.attempt_count == 0, _d.retry_workflow_id.is_(None),
                )).values(status=DeliveryStatus.PENDING.value, claimed_at=None,
                          updated_at=datetime.now(UTC))
            )
        return int(result.rowcount or 0)

    @staticmethod
    async def _configs(conn: AsyncConnection, ids: set[UUID]) -> dict[UUID, WebhookConfig]:
        if not ids:
            return {}
        rows = (await conn.execute(
            select(webhook_configs).where(webhook_configs.c.id.in_(ids))
        )).all()
        return {r.id: config_from_row(r) for r in rows}
