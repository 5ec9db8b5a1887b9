"""The webhooks store behind the API use-cases (domain.webhooks.ports.WebhookStore)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.webhooks.models import Attempt, Delivery, DeliveryFilter, DeliveryStatus, WebhookConfig
from storage.database import Database
from storage.webhooks.rows import attempt_from_row, config_from_row, delivery_from_row
from storage.webhooks.tables import webhook_attempts, webhook_configs, webhook_deliveries

UNFINISHED = (DeliveryStatus.PENDING.value, DeliveryStatus.DELIVERING.value)


class SqlWebhookStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def insert_config(self, config: WebhookConfig) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(webhook_configs).values(**config.model_dump()))

    async def get_config(self, config_id: UUID) -> WebhookConfig | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(
                select(webhook_configs).where(webhook_configs.c.id == config_id)
            )).first()
        return config_from_row(row) if row else None

    async def list_configs(
        self, *, config_id: UUID | None, endpoint: str | None
    ) -> list[WebhookConfig]:
        query = select(webhook_configs).order_by(
            webhook_configs.c.updated_at.desc(), webhook_configs.c.id
        )
        if config_id is not None:
            query = query.where(webhook_configs.c.id == config_id)
        if endpoint is not None:
            query = query.where(webhook_configs.c.endpoint == endpoint)
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [config_from_row(r) for r in rows]

    async def update_config(self, config: WebhookConfig) -> bool:
        values = config.model_dump(exclude={"id", "created_at"})
        async with self.database.transaction() as conn:
            result = await conn.execute(
                update(webhook_configs).where(webhook_configs.c.id == config.id).values(**values)
            )
        return bool(result.rowcount)

    async def deactivate_config(
        self, config_id: UUID, now: datetime
    ) -> tuple[WebhookConfig | None, list[str]]:
        async with self.database.transaction() as conn:
            row = (await conn.execute(
                update(webhook_configs).where(webhook_configs.c.id == config_id)
                .values(active=False, updated_at=now).returning(webhook_configs)
            )).first()
            if row is None:
                return None, []
            return config_from_row(row), await _cancel_unfinished(conn, config_id, now)

    async def delete_config(self, config_id: UUID, now: datetime) -> tuple[bool, list[str]]:
        async with self.database.transaction() as conn:
            result = await conn.execute(
                delete(webhook_configs).where(webhook_configs.c.id == config_id)
            )
            if not result.rowcount:
                return False, []
            return True, await _cancel_unfinished(conn, config_id, now)

    async def get_delivery(self, delivery_id: UUID) -> Delivery | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            )).first()
        return delivery_from_row(row) if row else None

    async def list_deliveries(
        self, filters: DeliveryFilter, *, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[Delivery]:
        d = webhook_deliveries.c
        query = select(webhook_deliveries).order_by(d.created_at.desc(), d.id.desc()).limit(limit)
        if filters.config_id is not None:
            query = query.where(d.config_id == filters.config_id)
        if filters.status is not None:
            query = query.where(d.status == filters.status.value)
        if filters.created_from is not None:
            query = query.where(d.created_at >= filters.created_from)
        if filters.created_to is not None:
            query = query.where(d.created_at < filters.created_to)
        if after is not None:
            query = query.where(tuple_(d.created_at, d.id) < tuple_(*after))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [delivery_from_row(r) for r in rows]

    async def list_attempts(
        self, delivery_id: UUID, *, after: tuple[int, int] | None, limit: int
    ) -> list[Attempt]:
        a = webhook_attempts.c
        query = (select(webhook_attempts).where(a.delivery_id == delivery_id)
                 .order_by(a.replay_generation, a.attempt_number).limit(limit))
        if after is not None:
            query = query.where(tuple_(a.replay_generation, a.attempt_number) > tuple_(*after))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [attempt_from_row(r) for r in rows]


async def _cancel_unfinished(conn: AsyncConnection, config_id: UUID, now: datetime) -> list[str]:
    d = webhook_deliveries.c
    rows = (await conn.execute(
        update(webhook_deliveries)
        .where(and_(d.config_id == config_id, d.status.in_(UNFINISHED)))
        .values(status=DeliveryStatus.CANCELLED.value, next_attempt_at=None, updated_at=now)
        .returning(d.retry_workflow_id)
    )).all()
    return [r.retry_workflow_id for r in rows if r.retry_workflow_id]



