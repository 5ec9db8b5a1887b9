"""Delivery replays (domain.webhooks.replays.ReplayStore): reset the rows to a new generation and
cache the answer under its Idempotency-Key, in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import and_, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import ConflictError
from domain.webhooks.models import Delivery, DeliveryStatus
from domain.webhooks.replays import (
    BulkReplayRequest,
    BulkReplayResult,
    ReplayAction,
    ReplayedDelivery,
    needs_new_generation,
    replay_action,
)
from storage.database import Database
from storage.webhooks.rows import config_from_row, delivery_from_row
from storage.webhooks.tables import webhook_configs, webhook_deliveries, webhook_replay_requests

_d = webhook_deliveries.c
_r = webhook_replay_requests.c
M = TypeVar("M", bound=BaseModel)


class SqlReplayStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def replay_delivery(
        self, delivery_id: UUID, *, key: str, request_hash: str, now: datetime
    ) -> tuple[ReplayedDelivery | None, list[str]]:
        async def work(conn: AsyncConnection) -> tuple[ReplayedDelivery | None, list[str]]:
            row = (await conn.execute(
                select(webhook_deliveries).where(_d.id == delivery_id).with_for_update()
            )).first()
            if row is None:
                return None, []
            replayed, stale = await _replay(conn, [delivery_from_row(row)], now)
            return replayed[0], stale

        return await self._once(key, "replayDelivery", request_hash, now, ReplayedDelivery, work)

    async def replay_deliveries(
        self, request: BulkReplayRequest, *, key: str, request_hash: str, now: datetime
    ) -> tuple[BulkReplayResult, list[str]]:
        created_to = request.created_to or now

        async def work(conn: AsyncConnection) -> tuple[BulkReplayResult, list[str]]:
            query = (
                select(webhook_deliveries)
                .where(and_(_d.created_at >= request.created_from, _d.created_at < created_to,
                            _d.status.in_([s.value for s in request.statuses])))
                .order_by(_d.created_at, _d.id).limit(request.page_size + 1)
                .with_for_update()
            )
            if request.config_ids:
                query = query.where(_d.config_id.in_(request.config_ids))
            if request.after is not None:
                query = query.where(tuple_(_d.created_at, _d.id) > tuple_(*request.after))
            rows = (await conn.execute(query)).all()
            page, has_more = rows[:request.page_size], len(rows) > request.page_size
            replayed, stale = await _replay(conn, [delivery_from_row(r) for r in page], now)
            counts = {action: sum(1 for r in replayed if r.action is action)
                      for action in ReplayAction}
            last = page[-1] if has_more else None
            return BulkReplayResult(
                replayed=counts[ReplayAction.REPLAYED], expedited=counts[ReplayAction.EXPEDITED],
                skipped=counts[ReplayAction.SKIPPED], has_more=has_more,
                next_after=(last.created_at, last.id) if last is not None else None,
                created_to=created_to,
            ), stale

        return await self._once(key, "replayDeliveries", request_hash, now, BulkReplayResult,
                                work)

    async def _once(
        self, key: str, operation: str, request_hash: str, now: datetime, model: type[M],
        work: Callable[[AsyncConnection], Awaitable[tuple[M | None, list[str]]]],
    ) -> tuple[Any, list[str]]:
        """The cached answer for `key`, or `work` and its answer cached, in one transaction; the
        advisory lock serialises concurrent requests with the same key."""
        async with self.database.transaction() as conn:
            await conn.execute(select(func.pg_advisory_xact_lock(
                func.hashtextextended("webhook-replay:" + key, 0))))
            cached = (await conn.execute(
                select(webhook_replay_requests).where(_r.idempotency_key == key)
            )).first()
            if cached is not None:
                if cached.operation != operation or cached.request_hash != request_hash:
                    raise ConflictError(
                        "Idempotency-Key already used for a different replay request")
                response = cached.response.get("result")
                return (model.model_validate(response) if response is not None else None), []
            result, stale = await work(conn)
            await conn.execute(insert(webhook_replay_requests).values(
                idempotency_key=key, operation=operation, request_hash=request_hash,
                response={"result": result.model_dump(mode="json") if result else None},
                created_at=now,
            ))
            return result, stale


async def _replay(
    conn: AsyncConnection, deliveries: list[Delivery], now: datetime
) -> tuple[list[ReplayedDelivery], list[str]]:
    """Start a new generation of each replayable delivery (rows locked by the caller). Returns
    each delivery as it is now with what was done, and the retry workflows left behind."""
    config_ids = {d.config_id for d in deliveries}
    configs = {r.id: config_from_row(r) for r in (await conn.execute(
        select(webhook_configs).where(webhook_configs.c.id.in_(config_ids))
    )).all()} if config_ids else {}
    done: list[ReplayedDelivery] = []
    stale: list[str] = []
    for delivery in deliveries:
        action = replay_action(delivery, configs.get(delivery.config_id))
        if action is not ReplayAction.SKIPPED and needs_new_generation(delivery):
            if delivery.retry_workflow_id and delivery.status is DeliveryStatus.PENDING:
                stale.append(delivery.retry_workflow_id)
            row = (await conn.execute(
                update(webhook_deliveries).where(_d.id == delivery.id).values(
                    status=DeliveryStatus.PENDING.value, attempt_count=0,
                    replay_generation=_d.replay_generation + 1, cycle_started_at=None,
                    next_attempt_at=None, claimed_at=None, retry_workflow_id=None,
                    updated_at=now,
                ).returning(webhook_deliveries)
            )).one()
            delivery = delivery_from_row(row)
        done.append(ReplayedDelivery(delivery=delivery, action=action))
    return done, stale
