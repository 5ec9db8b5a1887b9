"""The payment service users store (implements domain/payments/psu_ports.py): PSUs, their bank
accounts and connectors, open-banking connections and link attempts, each change with its
outbox event in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.pagination import Page, offset_page
from domain.payments import events as ev
from domain.payments.models import Task
from domain.payments.psu import (
    AttemptStatus,
    Connection,
    ConnectionStatus,
    LinkAttempt,
    PaymentServiceUser,
)
from storage.database import Database
from storage.outbox import event_envelope, events_outbox
from storage.payments.tables import (
    payments_link_attempts,
    payments_open_banking_connections,
    payments_psu_bank_accounts,
    payments_psu_connectors,
    payments_psus,
    payments_tasks,
)

U = payments_psus
B = payments_psu_bank_accounts
K = payments_psu_connectors
C = payments_open_banking_connections
L = payments_link_attempts


class PgPSUStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_psu(self, psu: PaymentServiceUser) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(U).values(
                id=psu.id, created_at=psu.created_at, name=psu.name,
                contact_details=psu.contact_details, address=psu.address,
                metadata=psu.metadata))

    async def get_psu(self, psu_id: str) -> PaymentServiceUser | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(U).where(U.c.id == psu_id))).first()
            if row is None:
                return None
            banks = await _banks(conn, [psu_id])
        return _psu(row, banks.get(psu_id, ()))

    async def list_psus(self, offset: int, size: int) -> Page[PaymentServiceUser]:
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(select(U).order_by(U.c.created_at, U.c.id)
                                       .offset(offset).limit(size + 1))).all()
            banks = await _banks(conn, [r.id for r in rows])
        return offset_page([_psu(r, banks.get(r.id, ())) for r in rows], offset=offset,
                           size=size)

    async def add_bank_account(self, psu_id: str, bank_account_id: str,
                               at: datetime) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(pg_insert(B).values(
                psu_id=psu_id, bank_account_id=bank_account_id, created_at=at)
                .on_conflict_do_nothing())

    async def add_connector(self, psu_id: str, connector_id: str, at: datetime) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(pg_insert(K).values(
                psu_id=psu_id, connector_id=connector_id, created_at=at)
                .on_conflict_do_nothing())

    async def has_connector(self, psu_id: str, connector_id: str) -> bool:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(K.c.psu_id).where(
                K.c.psu_id == psu_id, K.c.connector_id == connector_id))).first()
        return row is not None

    async def create_attempt(self, attempt: LinkAttempt) -> None:
        a = attempt
        async with self.database.transaction() as conn:
            await conn.execute(insert(L).values(
                id=a.id, psu_id=a.psu_id, connector_id=a.connector_id,
                connection_id=a.connection_id, created_at=a.created_at, status=a.status.value,
                client_redirect_url=a.client_redirect_url, link=a.link, error=a.error))

    async def get_attempt(self, attempt_id: str) -> LinkAttempt | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(L).where(L.c.id == attempt_id))).first()
        return _attempt(row) if row is not None else None

    async def set_link(self, attempt_id: str, link: str) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(update(L).where(L.c.id == attempt_id).values(link=link))

    async def finish_attempt(self, attempt: LinkAttempt,
                             connection: Connection | None) -> LinkAttempt:
        async with self.database.transaction() as conn:
            row = (await conn.execute(
                update(L).where(L.c.id == attempt.id,
                                L.c.status == AttemptStatus.PENDING.value)
                .values(status=attempt.status.value, error=attempt.error,
                        connection_id=attempt.connection_id).returning(*L.c))).first()
            if row is None:  # finished before (a retried activity): as it was
                done = (await conn.execute(select(L).where(L.c.id == attempt.id))).one()
                return _attempt(done)
            if connection is not None:
                c = connection
                await conn.execute(pg_insert(C).values(
                    id=c.id, psu_id=c.psu_id, connector_id=c.connector_id,
                    created_at=c.created_at, data_updated_at=c.data_updated_at,
                    status=c.status.value, error=c.error, metadata=c.metadata,
                ).on_conflict_do_update(index_elements=[C.c.id], set_={
                    "data_updated_at": c.data_updated_at, "status": c.status.value,
                    "error": c.error}))
            finished = _attempt(row)
            await _event(conn, ev.EventType.OPEN_BANKING_USER_LINK_STATUS, {
                "psuID": finished.psu_id, "connectorID": finished.connector_id,
                "attemptID": finished.id, "status": finished.status.value,
                "connectionID": finished.connection_id, "error": finished.error})
            return finished

    async def list_attempts(self, psu_id: str, connector_id: str, offset: int,
                            size: int) -> Page[LinkAttempt]:
        query = (select(L).where(L.c.psu_id == psu_id, L.c.connector_id == connector_id)
                 .order_by(L.c.created_at, L.c.id).offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_attempt(r) for r in rows], offset=offset, size=size)

    async def get_connection(self, connection_id: str) -> Connection | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(C).where(C.c.id == connection_id))).first()
        return _connection(row) if row is not None else None

    async def list_connections(self, psu_id: str, connector_id: str | None, offset: int,
                               size: int) -> Page[Connection]:
        query = select(C).where(C.c.psu_id == psu_id)
        if connector_id is not None:
            query = query.where(C.c.connector_id == connector_id)
        query = query.order_by(C.c.created_at, C.c.id).offset(offset).limit(size + 1)
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_connection(r) for r in rows], offset=offset, size=size)

    async def open_task(self, task: Task) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(pg_insert(payments_tasks).values(
                id=task.id, connector_id=task.connector_id, status=task.status.value,
                created_at=task.created_at, updated_at=task.updated_at,
            ).on_conflict_do_update(index_elements=[payments_tasks.c.id], set_={
                "status": task.status.value, "error": None, "updated_at": task.updated_at}))
            await _event(conn, ev.EventType.UPDATED_TASK, ev.task_payload(task))

    async def delete_open_banking(self, psu_id: str, connector_id: str | None,
                                  connection_id: str | None) -> None:
        async with self.database.transaction() as conn:
            if connection_id is not None:
                gone = (await conn.execute(delete(C).where(C.c.id == connection_id)
                                           .returning(C.c.id))).first()
                if gone is not None:
                    await _event(conn, ev.EventType.OPEN_BANKING_USER_CONNECTION_DISCONNECTED,
                                 {"psuID": psu_id, "connectorID": connector_id,
                                  "connectionID": connection_id})
                return
            where_c = [C.c.psu_id == psu_id]
            where_l = [L.c.psu_id == psu_id]
            where_k = [K.c.psu_id == psu_id]
            if connector_id is not None:
                where_c.append(C.c.connector_id == connector_id)
                where_l.append(L.c.connector_id == connector_id)
                where_k.append(K.c.connector_id == connector_id)
            await conn.execute(delete(C).where(*where_c))
            await conn.execute(delete(L).where(*where_l))
            gone = (await conn.execute(delete(K).where(*where_k).returning(K.c.psu_id))).first()
            if connector_id is None:
                await conn.execute(delete(B).where(B.c.psu_id == psu_id))
                await conn.execute(delete(U).where(U.c.id == psu_id))
            if gone is not None or connector_id is None:
                await _event(conn, ev.EventType.OPEN_BANKING_USER_DISCONNECTED,
                             {"psuID": psu_id, "connectorID": connector_id})


async def _banks(conn: AsyncConnection, psu_ids: list[str]) -> dict[str, tuple[str, ...]]:
    if not psu_ids:
        return {}
    rows = (await conn.execute(select(B).where(B.c.psu_id.in_(psu_ids))
                               .order_by(B.c.psu_id, B.c.created_at,
                                         B.c.bank_account_id))).all()
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.psu_id, []).append(r.bank_account_id)
    return {k: tuple(v) for k, v in out.items()}


async def _event(conn: AsyncConnection, event_type: ev.EventType,
                 payload: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    await conn.execute(insert(events_outbox).values(
        app=ev.APP, type=event_type.value,
        envelope=event_envelope(ev.APP, event_type.value, payload, date=now), created_at=now))


def _psu(r: Row[Any], banks: tuple[str, ...]) -> PaymentServiceUser:
    return PaymentServiceUser(id=r.id, name=r.name, created_at=r.created_at,
                              contact_details=dict(r.contact_details), address=dict(r.address),
                              bank_account_ids=banks, metadata=dict(r.metadata))


def _attempt(r: Row[Any]) -> LinkAttempt:
    return LinkAttempt(id=r.id, psu_id=r.psu_id, connector_id=r.connector_id,
                       created_at=r.created_at, status=AttemptStatus(r.status),
                       client_redirect_url=r.client_redirect_url,
                       connection_id=r.connection_id, link=r.link, error=r.error)


def _connection(r: Row[Any]) -> Connection:
    return Connection(id=r.id, psu_id=r.psu_id, connector_id=r.connector_id,
                      created_at=r.created_at, data_updated_at=r.data_updated_at,
                      status=ConnectionStatus(r.status), error=r.error,
                      metadata=dict(r.metadata))
