"""The payment initiations store (implements domain/payments/initiation_ports.py). Adjustments
are append-only: each is inserted once by its id (a retried activity writes nothing more) and
the initiation's status column follows the latest one in the same transaction, with its outbox
events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.pagination import Page, offset_page
from domain.payments import events as ev
from domain.payments import initiation_events as iev
from domain.payments.initiations import (
    InitiationAdjustment,
    InitiationStatus,
    InitiationType,
    PaymentInitiation,
    Reversal,
    ReversalStatus,
)
from domain.payments.models import Payment, PaymentAdjustment, Task, TaskStatus
from storage.database import Database
from storage.outbox import event_envelope, events_outbox
from storage.payments.store import _adjustments, _payment, _save_payments, _task
from storage.payments.tables import (
    payments_initiation_adjustments,
    payments_initiation_related_payments,
    payments_initiation_reversals,
    payments_initiation_sends,
    payments_initiations,
    payments_payments,
    payments_send_slots,
    payments_tasks,
)

T = payments_initiations
A = payments_initiation_adjustments
INITIATION_FILTERS = {"connector_id": T.c.connector_id, "reference": T.c.reference,
                      "type": T.c.type, "id": T.c.id, "status": T.c.status,
                      "asset": T.c.asset, "source_account_id": T.c.source_account_id,
                      "destination_account_id": T.c.destination_account_id}


class PgInitiationsStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_initiation(self, initiation: PaymentInitiation,
                                first: InitiationAdjustment) -> PaymentInitiation:
        p = initiation
        async with self.database.transaction() as conn:
            added = (await conn.execute(pg_insert(T).values(
                id=p.id, connector_id=p.connector_id, provider=p.provider,
                reference=p.reference, created_at=p.created_at, scheduled_at=p.scheduled_at,
                description=p.description, type=p.type.value, amount=p.amount, asset=p.asset,
                status=first.status.value, source_account_id=p.source_account_id,
                destination_account_id=p.destination_account_id, metadata=p.metadata,
            ).on_conflict_do_nothing().returning(T.c.id))).first()
            if added is None:
                row = (await conn.execute(select(T).where(T.c.id == p.id))).one()
                return _initiation(row)
            await _event(conn, ev.EventType.SAVED_PAYMENT_INITIATION,
                         iev.initiation_payload(p))
            await _append(conn, first)
            return p

    async def get_initiation(self, initiation_id: str) -> PaymentInitiation | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(T).where(T.c.id == initiation_id))).first()
        return _initiation(row) if row is not None else None

    async def list_initiations(self, filters: dict[str, str], offset: int,
                               size: int) -> Page[PaymentInitiation]:
        query = (select(T).where(*[INITIATION_FILTERS[k] == v for k, v in filters.items()])
                 .order_by(T.c.created_at.desc(), T.c.id).offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_initiation(r) for r in rows], offset=offset, size=size)

    async def list_adjustments(self, initiation_id: str, offset: int,
                               size: int) -> Page[InitiationAdjustment]:
        # Newest first, as Formance lists them: the first is the initiation's status.
        query = (select(A).where(A.c.initiation_id == initiation_id)
                 .order_by(A.c.seq.desc()).offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_adjustment(r) for r in rows], offset=offset, size=size)

    async def list_related_payments(self, initiation_id: str, offset: int,
                                    size: int) -> Page[Payment]:
        R = payments_initiation_related_payments
        query = (select(payments_payments)
                 .join(R, R.c.payment_id == payments_payments.c.id)
                 .where(R.c.initiation_id == initiation_id)
                 .order_by(R.c.created_at, R.c.payment_id).offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            adjustments = await _adjustments(conn, [r.id for r in rows[:size]])
        return offset_page([_payment(r, adjustments.get(r.id, ())) for r in rows],
                           offset=offset, size=size)

    async def add_adjustment(self, adjustment: InitiationAdjustment, *,
                             open_task: Task | None = None,
                             finish_task: Task | None = None) -> None:
        async with self.database.transaction() as conn:
            if await _append(conn, adjustment):
                if open_task is not None:
                    await _open_task(conn, open_task)
                if finish_task is not None:
                    await _finish_task(conn, finish_task)

    async def delete_initiation(self, initiation_id: str, cancelled_task: str | None) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(delete(A).where(A.c.initiation_id == initiation_id))
            await conn.execute(delete(T).where(T.c.id == initiation_id))
            if cancelled_task is not None:
                row = (await conn.execute(select(payments_tasks).where(
                    payments_tasks.c.id == cancelled_task))).first()
                if row is not None and row.status == TaskStatus.PROCESSING.value:
                    task = _task(row)
                    await _finish_task(conn, replace(task, status=TaskStatus.FAILED,
                                                     error="deleted before it was sent",
                                                     updated_at=datetime.now(UTC)))

    async def create_reversal(self, reversal: Reversal, adjustment: InitiationAdjustment,
                              task: Task) -> None:
        r = reversal
        async with self.database.transaction() as conn:
            added = (await conn.execute(pg_insert(payments_initiation_reversals).values(
                id=r.id, initiation_id=r.initiation_id, connector_id=r.connector_id,
                reference=r.reference, created_at=r.created_at, description=r.description,
                amount=r.amount, asset=r.asset, status=r.status.value, error=r.error,
                metadata=r.metadata).on_conflict_do_nothing()
                .returning(payments_initiation_reversals.c.id))).first()
            if added is not None:
                await _append(conn, adjustment)
                await _open_task(conn, task)

    async def get_reversal(self, reversal_id: str) -> Reversal | None:
        R = payments_initiation_reversals
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(R).where(R.c.id == reversal_id))).first()
        if row is None:
            return None
        return Reversal(id=row.id, initiation_id=row.initiation_id,
                        connector_id=row.connector_id, reference=row.reference,
                        created_at=row.created_at, amount=int(row.amount), asset=row.asset,
                        status=ReversalStatus(row.status), description=row.description,
                        error=row.error, metadata=dict(row.metadata))

    async def finish_reversal(self, reversal: Reversal, adjustment: InitiationAdjustment,
                              task: Task) -> None:
        R = payments_initiation_reversals
        async with self.database.transaction() as conn:
            await conn.execute(update(R).where(R.c.id == reversal.id).values(
                status=reversal.status.value, error=reversal.error))
            if await _append(conn, adjustment):
                await _finish_task(conn, task)

    async def begin_send(self, initiation_id: str, attempt: int, key: str,
                         at: datetime) -> str | None:
        S = payments_initiation_sends
        async with self.database.transaction() as conn:
            await conn.execute(pg_insert(S).values(
                initiation_id=initiation_id, attempt=attempt, idempotency_key=key,
                started_at=at).on_conflict_do_nothing())
            row = (await conn.execute(select(S.c.payment_id).where(
                S.c.initiation_id == initiation_id, S.c.attempt == attempt))).one()
        return row.payment_id  # type: ignore[no-any-return]

    async def finish_send(self, initiation_id: str, attempt: int, payment: Payment,
                          adjustment: PaymentAdjustment) -> None:
        S = payments_initiation_sends
        R = payments_initiation_related_payments
        async with self.database.transaction() as conn:
            await _save_payments(conn, [(payment, adjustment)])
            linked = (await conn.execute(pg_insert(R).values(
                initiation_id=initiation_id, payment_id=payment.id,
                created_at=adjustment.created_at).on_conflict_do_nothing()
                .returning(R.c.payment_id))).first()
            if linked is not None:
                await _event(conn, ev.EventType.SAVED_PAYMENT_INITIATION_RELATED_PAYMENT,
                             iev.related_payment_payload(initiation_id, payment.id,
                                                         payment.provider,
                                                         payment.connector_id))
            await conn.execute(update(S).where(S.c.initiation_id == initiation_id,
                                               S.c.attempt == attempt)
                               .values(payment_id=payment.id))

    async def payment_status(self, payment_id: str) -> str | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_payments.c.status).where(
                payments_payments.c.id == payment_id))).first()
        return row.status if row is not None else None

    async def reserve_send_slot(self, connector_id: str, interval_s: float,
                                now: datetime) -> float:
        # One row per connector, moved forward by one interval per send: concurrent sends
        # queue up on the row lock and each gets the next free slot.
        S = payments_send_slots
        step = timedelta(seconds=interval_s)
        async with self.database.transaction() as conn:
            slot = (await conn.execute(pg_insert(S).values(
                connector_id=connector_id, next_at=now + step,
            ).on_conflict_do_update(index_elements=[S.c.connector_id], set_={
                "next_at": func.greatest(S.c.next_at, now) + step,
            }).returning(S.c.next_at))).one()
        start: datetime = slot.next_at - step
        return max(0.0, (start - now).total_seconds())


async def _append(conn: AsyncConnection, a: InitiationAdjustment) -> bool:
    added = (await conn.execute(pg_insert(A).values(
        id=a.id, initiation_id=a.initiation_id, created_at=a.created_at, status=a.status.value,
        amount=a.amount, asset=a.asset, error=a.error, metadata=a.metadata,
    ).on_conflict_do_nothing(index_elements=[A.c.id]).returning(A.c.id))).first()
    if added is None:
        return False
    await conn.execute(update(T).where(T.c.id == a.initiation_id)
                       .values(status=a.status.value, error=a.error))
    await _event(conn, ev.EventType.SAVED_PAYMENT_INITIATION_ADJUSTMENT,
                 iev.adjustment_payload(a))
    return True


async def _open_task(conn: AsyncConnection, task: Task) -> None:
    await conn.execute(pg_insert(payments_tasks).values(
        id=task.id, connector_id=task.connector_id, status=task.status.value,
        created_at=task.created_at, updated_at=task.updated_at,
    ).on_conflict_do_update(index_elements=[payments_tasks.c.id], set_={
        "status": task.status.value, "error": None, "updated_at": task.updated_at}))
    await _event(conn, ev.EventType.UPDATED_TASK, ev.task_payload(task))


async def _finish_task(conn: AsyncConnection, task: Task) -> None:
    await conn.execute(update(payments_tasks).where(payments_tasks.c.id == task.id).values(
        status=task.status.value, error=task.error, created_object_id=task.created_object_id,
        updated_at=task.updated_at))
    await _event(conn, ev.EventType.UPDATED_TASK, ev.task_payload(task))


async def _event(conn: AsyncConnection, event_type: ev.EventType,
                 payload: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    await conn.execute(insert(events_outbox).values(
        app=ev.APP, type=event_type.value,
        envelope=event_envelope(ev.APP, event_type.value, payload, date=now), created_at=now))


def _amount(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _initiation(r: Row[Any]) -> PaymentInitiation:
    return PaymentInitiation(
        id=r.id, connector_id=r.connector_id, provider=r.provider, reference=r.reference,
        created_at=r.created_at, type=InitiationType(r.type), amount=int(r.amount),
        asset=r.asset, status=InitiationStatus(r.status),
        destination_account_id=r.destination_account_id,
        source_account_id=r.source_account_id, scheduled_at=r.scheduled_at,
        description=r.description, error=r.error, metadata=dict(r.metadata))


def _adjustment(r: Row[Any]) -> InitiationAdjustment:
    return InitiationAdjustment(id=r.id, initiation_id=r.initiation_id,
                                created_at=r.created_at, status=InitiationStatus(r.status),
                                amount=_amount(r.amount), asset=r.asset, error=r.error,
                                metadata=dict(r.metadata))
