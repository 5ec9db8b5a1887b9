"""The payments store (implements domain/payments/ports.py). Ingestion upserts by the ids the
domain builds from provider references, and writes an outbox event only for what actually
changed: a poll that finds nothing new writes nothing but its fetch state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, delete, func, insert, literal, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from domain.pagination import Page, offset_page
from domain.payments import events as ev
from domain.payments.ids import ConnectorID
from domain.payments.models import (
    Account,
    AccountType,
    Balance,
    BankAccount,
    BankAccountRelatedAccount,
    Connector,
    Conversion,
    ConversionStatus,
    Instance,
    Order,
    OrderAdjustment,
    OrderDirection,
    OrderStatus,
    OrderType,
    Payment,
    PaymentAdjustment,
    PaymentStatus,
    PaymentType,
    Pool,
    PoolBalance,
    PoolType,
    Schedule,
    Task,
    TaskStatus,
    TimeInForce,
)
from domain.payments.query import POOL_QUERY_KEYS, metadata_key, parse_filters
from storage.database import Database
from storage.outbox import event_envelope, events_outbox
from storage.payments.tables import (
    payments_accounts,
    payments_adjustments,
    payments_balances,
    payments_bank_account_related_accounts,
    payments_bank_accounts,
    payments_connectors,
    payments_conversions,
    payments_initiation_adjustments,
    payments_initiation_related_payments,
    payments_initiation_reversals,
    payments_initiation_sends,
    payments_initiations,
    payments_instances,
    payments_link_attempts,
    payments_open_banking_connections,
    payments_order_adjustments,
    payments_orders,
    payments_payments,
    payments_pool_accounts,
    payments_pools,
    payments_psu_connectors,
    payments_schedules,
    payments_send_slots,
    payments_states,
    payments_tasks,
)

# The list filters each object accepts (query-builder keys -> columns).
ACCOUNT_FILTERS = {"connector_id": payments_accounts.c.connector_id,
                   "reference": payments_accounts.c.reference,
                   "type": payments_accounts.c.type, "id": payments_accounts.c.id,
                   "name": payments_accounts.c.name,
                   "default_asset": payments_accounts.c.default_asset}
# A dynamic pool's query may also match the accounts' metadata (`metadata[<key>]`).
POOL_ACCOUNT_FILTERS = {**ACCOUNT_FILTERS, "metadata": payments_accounts.c.metadata}
PAYMENT_FILTERS = {"connector_id": payments_payments.c.connector_id,
                   "reference": payments_payments.c.reference,
                   "type": payments_payments.c.type, "id": payments_payments.c.id,
                   "status": payments_payments.c.status, "asset": payments_payments.c.asset,
                   "scheme": payments_payments.c.scheme,
                   "source_account_id": payments_payments.c.source_account_id,
                   "destination_account_id": payments_payments.c.destination_account_id}

# Orders and conversions: the keys the spec names as their list filters (createdAt aside: the
# query builder here is equality on strings).
ORDER_FILTERS = {"connector_id": payments_orders.c.connector_id,
                 "reference": payments_orders.c.reference, "id": payments_orders.c.id,
                 "direction": payments_orders.c.direction, "status": payments_orders.c.status,
                 "type": payments_orders.c.type,
                 "source_asset": payments_orders.c.source_asset,
                 "destination_asset": payments_orders.c.destination_asset}
CONVERSION_FILTERS = {"connector_id": payments_conversions.c.connector_id,
                      "reference": payments_conversions.c.reference,
                      "id": payments_conversions.c.id,
                      "status": payments_conversions.c.status,
                      "source_asset": payments_conversions.c.source_asset,
                      "destination_asset": payments_conversions.c.destination_asset}


# Rows per multi-row statement: well under asyncpg's 32767 bind parameters at 15 columns.
_CHUNK = 1000
T = TypeVar("T")


def _int(value: Decimal | int | None) -> int:
    return int(value) if value is not None else 0


class PgPaymentsStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # --- connectors and tasks -----------------------------------------------------------------

    async def create_connector(self, connector: Connector) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(payments_connectors).values(
                id=connector.id, reference=connector.reference, provider=connector.provider,
                name=connector.name, config=connector.config,
                scheduled_for_deletion=connector.scheduled_for_deletion,
                created_at=connector.created_at,
                updated_at=connector.updated_at or connector.created_at))

    async def delete_connector(self, connector_id: str) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(delete(payments_connectors)
                               .where(payments_connectors.c.id == connector_id))

    async def get_connector(self, connector_id: str) -> Connector | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_connectors)
                                      .where(payments_connectors.c.id == connector_id))).first()
        return _connector(row) if row is not None else None

    async def list_connectors(self, offset: int, size: int) -> Page[Connector]:
        query = (select(payments_connectors)
                 .order_by(payments_connectors.c.created_at, payments_connectors.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_connector(r) for r in rows], offset=offset, size=size)

    # --- pools --------------------------------------------------------------------------------

    async def existing_accounts(self, account_ids: list[str]) -> set[str]:
        if not account_ids:
            return set()
        async with self.database.engine.connect() as conn:
            return set((await conn.execute(select(payments_accounts.c.id).where(
                payments_accounts.c.id.in_(account_ids)))).scalars())

    async def create_pool(self, pool: Pool) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(payments_pools).values(
                id=pool.id, name=pool.name, type=pool.type.value, query=pool.query,
                created_at=pool.created_at))
            if pool.account_ids:
                await conn.execute(insert(payments_pool_accounts).values(
                    [{"pool_id": pool.id, "account_id": a} for a in pool.account_ids]))
            await _events(conn, ev.EventType.SAVED_POOL, [ev.pool_payload(pool)])

    async def get_pool(self, pool_id: str) -> Pool | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_pools)
                                      .where(payments_pools.c.id == pool_id))).first()
            if row is None:
                return None
            members = await _members(conn, [row])
        return _pool(row, members.get(pool_id, ()))

    async def list_pools(self, offset: int, size: int) -> Page[Pool]:
        query = (select(payments_pools)
                 .order_by(payments_pools.c.created_at, payments_pools.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            members = await _members(conn, rows[:size])
        return offset_page([_pool(r, members.get(r.id, ())) for r in rows],
                           offset=offset, size=size)

    async def update_pool_query(self, pool_id: str, query: dict[str, Any]) -> None:
        async with self.database.transaction() as conn:
            row = (await conn.execute(update(payments_pools)
                                      .where(payments_pools.c.id == pool_id)
                                      .values(query=query)
                                      .returning(*payments_pools.c))).first()
            if row is not None:
                members = await _members(conn, [row])
                await _events(conn, ev.EventType.SAVED_POOL,
                              [ev.pool_payload(_pool(row, members.get(pool_id, ())))])

    async def delete_pool(self, pool_id: str) -> bool:
        async with self.database.transaction() as conn:
            await conn.execute(delete(payments_pool_accounts)
                               .where(payments_pool_accounts.c.pool_id == pool_id))
            gone = (await conn.execute(delete(payments_pools)
                                       .where(payments_pools.c.id == pool_id)
                                       .returning(payments_pools.c.id))).first()
            if gone is not None:
                await _events(conn, ev.EventType.DELETED_POOL, [{"id": pool_id}])
            return gone is not None

    async def add_pool_account(self, pool_id: str, account_id: str) -> bool:
        return await self._membership(pool_id, pg_insert(payments_pool_accounts).values(
            pool_id=pool_id, account_id=account_id).on_conflict_do_nothing()
            .returning(payments_pool_accounts.c.pool_id))

    async def remove_pool_account(self, pool_id: str, account_id: str) -> bool:
        return await self._membership(pool_id, delete(payments_pool_accounts).where(
            payments_pool_accounts.c.pool_id == pool_id,
            payments_pool_accounts.c.account_id == account_id)
            .returning(payments_pool_accounts.c.pool_id))

    async def _membership(self, pool_id: str, statement: Any) -> bool:
        async with self.database.transaction() as conn:
            changed = (await conn.execute(statement)).first() is not None
            if changed:
                row = (await conn.execute(select(payments_pools)
                                          .where(payments_pools.c.id == pool_id))).one()
                members = await _members(conn, [row])
                await _events(conn, ev.EventType.SAVED_POOL,
                              [ev.pool_payload(_pool(row, members.get(pool_id, ())))])
            return changed

    async def pool_balances(self, pool_id: str, at: datetime | None) -> list[PoolBalance]:
        """Per asset, the sum of each member account's balance at `at` (its last balance row
        created at or before it), or its latest when `at` is None."""
        b = payments_balances
        async with self.database.engine.connect() as conn:
            pool = (await conn.execute(select(payments_pools)
                                       .where(payments_pools.c.id == pool_id))).first()
            if pool is None:
                return []
            latest = (select(b.c.account_id, b.c.asset, b.c.balance)
                      .ext(distinct_on(b.c.account_id, b.c.asset))
                      .where(b.c.account_id.in_(_member_ids(pool)),
                             *([b.c.created_at <= at] if at is not None else []))
                      .order_by(b.c.account_id, b.c.asset, b.c.created_at.desc())).subquery()
            query = (select(latest.c.asset, func.sum(latest.c.balance),
                            func.array_agg(latest.c.account_id))
                     .group_by(latest.c.asset).order_by(latest.c.asset))
            rows = (await conn.execute(query)).all()
        return [PoolBalance(asset=r[0], amount=_int(r[1]), related_accounts=tuple(sorted(r[2])))
                for r in rows]

    async def add_payment_metadata(self, payment_id: str,
                                   metadata: dict[str, str]) -> Payment | None:
        async with self.database.transaction() as conn:
            row = (await conn.execute(
                update(payments_payments).where(payments_payments.c.id == payment_id)
                .values(metadata=payments_payments.c.metadata.op("||")(
                    literal(metadata, JSONB)))
                .returning(*payments_payments.c))).first()
            if row is None:
                return None
            payment = _payment(row, ())
            await _events(conn, ev.EventType.SAVED_PAYMENT, [ev.payment_payload(payment)])
            return payment

    async def copy_connector(self, old: Connector, new_id: str, new_reference: str,
                             at: datetime) -> None:
        """A reset's new connector (same provider, name and config), with CONNECTOR_RESET."""
        async with self.database.transaction() as conn:
            added = (await conn.execute(pg_insert(payments_connectors).values(
                id=new_id, reference=new_reference, provider=old.provider, name=old.name,
                config=old.config, scheduled_for_deletion=False, created_at=at, updated_at=at,
            ).on_conflict_do_nothing().returning(payments_connectors.c.id))).first()
            if added is not None:
                await _events(conn, ev.EventType.CONNECTOR_RESET,
                              [{"connectorID": old.id, "newConnectorID": new_id,
                                "at": ev.iso(at)}])

    async def update_config(self, connector_id: str, config: dict[str, Any],
                            updated_at: datetime) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(update(payments_connectors)
                               .where(payments_connectors.c.id == connector_id)
                               .values(config=config, updated_at=updated_at))

    async def list_schedules(self, connector_id: str, offset: int,
                             size: int) -> Page[Schedule]:
        query = (select(payments_schedules)
                 .where(payments_schedules.c.connector_id == connector_id)
                 .order_by(payments_schedules.c.id).offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_schedule(r) for r in rows], offset=offset, size=size)

    async def get_schedule(self, connector_id: str, schedule_id: str) -> Schedule | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_schedules).where(
                payments_schedules.c.connector_id == connector_id,
                payments_schedules.c.id == schedule_id))).first()
        return _schedule(row) if row is not None else None

    # --- schedule instances and pauses --------------------------------------------------------

    async def start_instance(self, instance_id: str, schedule_id: str, connector_id: str,
                             at: datetime) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(pg_insert(payments_instances).values(
                id=instance_id, schedule_id=schedule_id, connector_id=connector_id,
                created_at=at, updated_at=at, terminated=False,
            ).on_conflict_do_nothing())

    async def finish_instance(self, instance_id: str, error: str | None, at: datetime,
                              window: int) -> int:
        """Marks the run ended; returns how many of the schedule's last `window` ended runs
        failed in a row (the newest first), which decides a pause."""
        async with self.database.transaction() as conn:
            schedule = (await conn.execute(
                update(payments_instances).where(payments_instances.c.id == instance_id)
                .values(terminated=True, terminated_at=at, updated_at=at, error=error)
                .returning(payments_instances.c.schedule_id))).scalar()
            if schedule is None:
                return 0
            errors = (await conn.execute(
                select(payments_instances.c.error)
                .where(payments_instances.c.schedule_id == schedule,
                       payments_instances.c.terminated)
                .order_by(payments_instances.c.terminated_at.desc()).limit(window))).scalars()
            failed = 0
            for e in errors:
                if e is None:
                    break
                failed += 1
            return failed

    async def pause_schedules(self, connector_id: str, reason: str, at: datetime) -> list[str]:
        """The connector's schedules not paused yet, now marked paused."""
        async with self.database.transaction() as conn:
            return list((await conn.execute(
                update(payments_schedules)
                .where(payments_schedules.c.connector_id == connector_id,
                       payments_schedules.c.paused_at.is_(None))
                .values(paused_at=at, paused_reason=reason)
                .returning(payments_schedules.c.id))).scalars())

    async def resume_schedule(self, schedule_id: str) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(update(payments_schedules)
                               .where(payments_schedules.c.id == schedule_id)
                               .values(paused_at=None, paused_reason=None))

    async def list_instances(self, schedule_id: str, offset: int,
                             size: int) -> Page[Instance]:
        query = (select(payments_instances)
                 .where(payments_instances.c.schedule_id == schedule_id)
                 .order_by(payments_instances.c.created_at.desc(), payments_instances.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([Instance(
            id=r.id, schedule_id=r.schedule_id, connector_id=r.connector_id,
            created_at=r.created_at, updated_at=r.updated_at, terminated=r.terminated,
            terminated_at=r.terminated_at, error=r.error) for r in rows],
            offset=offset, size=size)

    async def schedule_for_deletion(self, connector_id: str, task: Task) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(update(payments_connectors)
                               .where(payments_connectors.c.id == connector_id)
                               .values(scheduled_for_deletion=True, updated_at=task.created_at))
            await conn.execute(pg_insert(payments_tasks).values(
                id=task.id, connector_id=task.connector_id, status=task.status.value,
                created_at=task.created_at, updated_at=task.updated_at,
            ).on_conflict_do_update(index_elements=[payments_tasks.c.id], set_={
                "status": task.status.value, "error": None, "updated_at": task.updated_at}))
            await _event(conn, ev.EventType.UPDATED_TASK, ev.task_payload(task))

    async def get_task(self, task_id: str) -> Task | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_tasks)
                                      .where(payments_tasks.c.id == task_id))).first()
        return _task(row) if row is not None else None

    async def finish_task(self, task_id: str, status: TaskStatus, *, error: str | None = None,
                          created_object_id: str | None = None) -> None:
        async with self.database.transaction() as conn:
            row = (await conn.execute(
                update(payments_tasks).where(payments_tasks.c.id == task_id)
                .values(status=status.value, error=error, created_object_id=created_object_id,
                        updated_at=datetime.now(UTC))
                .returning(*payments_tasks.c))).first()
            if row is not None:
                await _event(conn, ev.EventType.UPDATED_TASK, ev.task_payload(_task(row)))

    # --- reads ------------------------------------------------------------------------------

    async def get_account(self, account_id: str) -> Account | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_accounts)
                                      .where(payments_accounts.c.id == account_id))).first()
        return _account(row) if row is not None else None

    async def list_accounts(self, filters: dict[str, str], offset: int,
                            size: int) -> Page[Account]:
        query = (select(payments_accounts)
                 .where(*_where(ACCOUNT_FILTERS, filters))
                 .order_by(payments_accounts.c.created_at, payments_accounts.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_account(r) for r in rows], offset=offset, size=size)

    async def list_balances(self, account_id: str, asset: str | None, offset: int,
                            size: int) -> Page[Balance]:
        conditions: list[ColumnElement[bool]] = [payments_balances.c.account_id == account_id]
        if asset:
            conditions.append(payments_balances.c.asset == asset)
        query = (select(payments_balances).where(*conditions)
                 .order_by(payments_balances.c.created_at.desc(), payments_balances.c.asset)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_balance(r) for r in rows], offset=offset, size=size)

    async def get_payment(self, payment_id: str) -> Payment | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_payments)
                                      .where(payments_payments.c.id == payment_id))).first()
            if row is None:
                return None
            adjustments = await _adjustments(conn, [payment_id])
        return _payment(row, adjustments.get(payment_id, ()))

    async def list_payments(self, filters: dict[str, str], offset: int,
                            size: int) -> Page[Payment]:
        query = (select(payments_payments)
                 .where(*_where(PAYMENT_FILTERS, filters))
                 .order_by(payments_payments.c.created_at, payments_payments.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            adjustments = await _adjustments(conn, [r.id for r in rows[:size]])
        return offset_page([_payment(r, adjustments.get(r.id, ())) for r in rows],
                           offset=offset, size=size)

    async def get_order(self, order_id: str) -> Order | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_orders)
                                      .where(payments_orders.c.id == order_id))).first()
            if row is None:
                return None
            adjustments = await _order_adjustments(conn, [order_id])
        return _order(row, adjustments.get(order_id, ()))

    async def list_orders(self, filters: dict[str, str], offset: int,
                          size: int) -> Page[Order]:
        query = (select(payments_orders)
                 .where(*_where(ORDER_FILTERS, filters))
                 .order_by(payments_orders.c.created_at, payments_orders.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            adjustments = await _order_adjustments(conn, [r.id for r in rows[:size]])
        return offset_page([_order(r, adjustments.get(r.id, ())) for r in rows],
                           offset=offset, size=size)

    async def get_conversion(self, conversion_id: str) -> Conversion | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(select(payments_conversions)
                                      .where(payments_conversions.c.id == conversion_id))
                   ).first()
        return _conversion(row) if row is not None else None

    async def list_conversions(self, filters: dict[str, str], offset: int,
                               size: int) -> Page[Conversion]:
        query = (select(payments_conversions)
                 .where(*_where(CONVERSION_FILTERS, filters))
                 .order_by(payments_conversions.c.created_at, payments_conversions.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return offset_page([_conversion(r) for r in rows], offset=offset, size=size)

    # --- created through the API ------------------------------------------------------------

    async def create_task(self, task: Task) -> bool:
        """False if a task of this id exists and did not fail (an operation asked for again
        answers its task); a failed one is PROCESSING again, for the operation's new run."""
        async with self.database.transaction() as conn:
            stmt = pg_insert(payments_tasks).values(
                id=task.id, connector_id=task.connector_id, status=task.status.value,
                created_at=task.created_at, updated_at=task.updated_at)
            added = (await conn.execute(stmt.on_conflict_do_update(
                index_elements=[payments_tasks.c.id],
                set_={"status": task.status.value, "error": None,
                      "updated_at": task.updated_at},
                where=payments_tasks.c.status == TaskStatus.FAILED.value,
            ).returning(payments_tasks.c.id))).first()
            if added is not None:
                await _event(conn, ev.EventType.UPDATED_TASK, ev.task_payload(task))
            return added is not None

    async def create_account(self, account: Account) -> Account:
        """Upserted as a fetched account is (SAVED_ACCOUNT if new or changed)."""
        async with self.database.transaction() as conn:
            await _save_accounts(conn, [account])
            row = (await conn.execute(select(payments_accounts)
                                      .where(payments_accounts.c.id == account.id))).one()
            return _account(row)

    async def create_payment(self, payment: Payment) -> Payment:
        """The payment as given with its adjustments; one created before under the same id
        stays as it is (Formance ids are the reference: the same request is the same payment),
        its new adjustments added."""
        async with self.database.transaction() as conn:
            inserted = (await conn.execute(pg_insert(payments_payments).values(
                id=payment.id, connector_id=payment.connector_id, provider=payment.provider,
                reference=payment.reference, type=payment.type.value,
                created_at=payment.created_at, initial_amount=payment.initial_amount,
                amount=payment.amount, asset=payment.asset, scheme=payment.scheme,
                status=payment.status.value, source_account_id=payment.source_account_id,
                destination_account_id=payment.destination_account_id,
                metadata=payment.metadata,
                updated_at=max((a.created_at for a in payment.adjustments),
                               default=payment.created_at),
            ).on_conflict_do_nothing().returning(payments_payments.c.id))).first()
            if payment.adjustments:
                await conn.execute(pg_insert(payments_adjustments).values([{
                    "id": a.id, "payment_id": payment.id,
                    "connector_id": payment.connector_id, "reference": a.reference,
                    "created_at": a.created_at, "status": a.status.value,
                    "amount": a.amount, "asset": a.asset, "metadata": a.metadata,
                    "raw": a.raw} for a in payment.adjustments]).on_conflict_do_nothing())
            row = (await conn.execute(select(payments_payments)
                                      .where(payments_payments.c.id == payment.id))).one()
            adjustments = await _adjustments(conn, [payment.id])
            stored = _payment(row, adjustments.get(payment.id, ()))
            if inserted is not None:
                await _events(conn, ev.EventType.SAVED_PAYMENT, [ev.payment_payload(stored)])
            return stored

    # --- bank accounts ------------------------------------------------------------------------

    async def create_bank_account(self, bank_account: BankAccount) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(insert(payments_bank_accounts).values(
                id=bank_account.id, created_at=bank_account.created_at, name=bank_account.name,
                account_number=bank_account.account_number, iban=bank_account.iban,
                swift_bic_code=bank_account.swift_bic_code, country=bank_account.country,
                metadata=bank_account.metadata))
            await _event(conn, ev.EventType.SAVED_BANK_ACCOUNT,
                         ev.bank_account_payload(bank_account))

    async def get_bank_account(self, bank_account_id: str) -> BankAccount | None:
        async with self.database.engine.connect() as conn:
            return await _bank_account(conn, bank_account_id)

    async def list_bank_accounts(self, offset: int, size: int) -> Page[BankAccount]:
        query = (select(payments_bank_accounts)
                 .order_by(payments_bank_accounts.c.created_at, payments_bank_accounts.c.id)
                 .offset(offset).limit(size + 1))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            related = await _related(conn, [r.id for r in rows])
        return offset_page([_bank(r, related.get(r.id, ())) for r in rows],
                           offset=offset, size=size)

    async def add_bank_account_metadata(self, bank_account_id: str,
                                        metadata: dict[str, str]) -> BankAccount | None:
        async with self.database.transaction() as conn:
            updated = (await conn.execute(
                update(payments_bank_accounts)
                .where(payments_bank_accounts.c.id == bank_account_id)
                .values(metadata=payments_bank_accounts.c.metadata.op("||")(
                    literal(metadata, JSONB)))
                .returning(payments_bank_accounts.c.id))).first()
            if updated is None:
                return None
            bank = await _bank_account(conn, bank_account_id)
            assert bank is not None
            await _event(conn, ev.EventType.SAVED_BANK_ACCOUNT, ev.bank_account_payload(bank))
            return bank

    async def save_forwarded_bank_account(self, bank_account_id: str,
                                          account: Account) -> None:
        """The external account a connector created for the bank account, and the link from
        the bank account to it, in one transaction (SAVED_ACCOUNT, SAVED_BANK_ACCOUNT). Again
        with the same account (a retried activity) changes nothing."""
        async with self.database.transaction() as conn:
            await _save_accounts(conn, [account])
            linked = (await conn.execute(pg_insert(payments_bank_account_related_accounts)
                                         .values(bank_account_id=bank_account_id,
                                                 account_id=account.id,
                                                 connector_id=account.connector_id,
                                                 created_at=datetime.now(UTC))
                                         .on_conflict_do_nothing()
                                         .returning(payments_bank_account_related_accounts
                                                    .c.account_id))).first()
            if linked is not None:
                bank = await _bank_account(conn, bank_account_id)
                if bank is not None:
                    await _event(conn, ev.EventType.SAVED_BANK_ACCOUNT,
                                 ev.bank_account_payload(bank))

    # --- ingestion ----------------------------------------------------------------------------

    async def get_state(self, connector_id: str, state_key: str) -> dict[str, Any] | None:
        async with self.database.engine.connect() as conn:
            state = (await conn.execute(select(payments_states.c.state).where(
                payments_states.c.connector_id == connector_id,
                payments_states.c.key == state_key))).scalar()
        return state if isinstance(state, dict) else None

    async def account_references(self, connector_id: str, after: str | None,
                                 limit: int) -> list[tuple[str, str]]:
        """(id, reference) of the connector's internal accounts, by id, after `after`."""
        conditions: list[ColumnElement[bool]] = [
            payments_accounts.c.connector_id == connector_id,
            payments_accounts.c.type == AccountType.INTERNAL.value]
        if after is not None:
            conditions.append(payments_accounts.c.id > after)
        query = (select(payments_accounts.c.id, payments_accounts.c.reference)
                 .where(*conditions).order_by(payments_accounts.c.id).limit(limit))
        async with self.database.engine.connect() as conn:
            return [(r.id, r.reference) for r in (await conn.execute(query)).all()]

    async def save_page(self, connector_id: str, state_key: str, state: dict[str, Any],
                        accounts: list[Account], balances: list[Balance],
                        payments: list[tuple[Payment, PaymentAdjustment]],
                        orders: Sequence[tuple[Order, OrderAdjustment]] = (),
                        conversions: Sequence[Conversion] = ()) -> int:
        """Stores one fetched page and the state after it; returns how many objects changed."""
        changed = 0
        async with self.database.transaction() as conn:
            # The state first: this statement opens the transaction, which the raw-driver
            # statements of _save_payments then join.
            await conn.execute(pg_insert(payments_states).values(
                connector_id=connector_id, key=state_key, state=state,
            ).on_conflict_do_update(
                index_elements=[payments_states.c.connector_id, payments_states.c.key],
                set_={"state": state}))
            changed += await _save_accounts(conn, accounts)
            provider = ConnectorID.parse(connector_id).provider
            for balance in balances:
                changed += await _save_balance(conn, connector_id, provider, balance)
            changed += await _save_payments(conn, payments)
            changed += await _save_orders(conn, list(orders))
            changed += await _save_conversions(conn, list(conversions))
        if payments:
            await self._refresh_statistics()
        return changed

    async def _refresh_statistics(self) -> None:
        """ANALYZE the payments tables once they have grown well past what their statistics
        describe (more changed rows since the last analyze than four times the rows it counted;
        an ANALYZE of both tables at 100,000 rows costs ~0.7 s of PostgreSQL CPU, so the factor
        keeps them to three for a first load of 100,000, ~0.7 s in all).
        A first ingestion loads a table from empty faster than autovacuum's analyze follows
        (it runs within about a minute): meanwhile PostgreSQL plans the API's lists as if the
        table were nearly empty (a whole connector's payments sorted for a page of 15,
        parallel workers for 15 adjustments: 10 times slower, make bench measured). The plans
        need the shape of the data, not exact counts (PostgreSQL scales the counted rows by
        the table's current size), so a few analyzes early in a load are enough; autovacuum
        does the rest."""
        async with self.database.engine.connect() as conn:
            grown = list((await conn.execute(_GROWN_TABLES)).scalars())
            if grown:
                await conn.execute(text(f"ANALYZE {', '.join(grown)}"))
                await conn.commit()

    async def add_schedule(self, connector_id: str, schedule_id: str,
                           created_at: datetime) -> None:
        async with self.database.transaction() as conn:
            await conn.execute(pg_insert(payments_schedules).values(
                id=schedule_id, connector_id=connector_id, created_at=created_at,
            ).on_conflict_do_nothing())

    async def schedules(self, connector_id: str) -> list[str]:
        async with self.database.engine.connect() as conn:
            return list((await conn.execute(
                select(payments_schedules.c.id)
                .where(payments_schedules.c.connector_id == connector_id)
                .order_by(payments_schedules.c.id))).scalars())

    async def purge_connector(self, connector_id: str, keep_tasks: Sequence[str] = ()
                              ) -> None:
        """Every row of the connector but its tasks (a task stays readable after the uninstall
        it reports on). Its tasks still PROCESSING but those of `keep_tasks` (the uninstall's
        or reset's own) end FAILED with "connector uninstalled": the uninstall terminated the
        workflows that would have finished them (a forward, say).

        Formance deletes the connector's tasks instead (TasksDeleteFromConnectorID); they are
        kept here, failed, because a client polling the task of a forward it asked for would
        otherwise get a 404 where the API promised a task with an outcome, and because the
        uninstall's own task, on the same connector, must stay readable anyway."""
        async with self.database.transaction() as conn:
            failed = (await conn.execute(
                update(payments_tasks)
                .where(payments_tasks.c.connector_id == connector_id,
                       payments_tasks.c.status == TaskStatus.PROCESSING.value,
                       payments_tasks.c.id.not_in(list(keep_tasks)))
                .values(status=TaskStatus.FAILED.value, error="connector uninstalled",
                        updated_at=datetime.now(UTC))
                .returning(*payments_tasks.c))).all()
            if failed:
                await _events(conn, ev.EventType.UPDATED_TASK,
                              [ev.task_payload(_task(r)) for r in failed])
            # Its accounts leave the pools they were in (the pools stay).
            await conn.execute(delete(payments_pool_accounts).where(
                payments_pool_accounts.c.account_id.in_(
                    select(payments_accounts.c.id)
                    .where(payments_accounts.c.connector_id == connector_id))))
            # Its payment initiations with everything hanging from them (the uninstall
            # terminated their workflows), as Formance deletes them.
            initiations = select(payments_initiations.c.id).where(
                payments_initiations.c.connector_id == connector_id)
            for table in (payments_initiation_adjustments, payments_initiation_related_payments,
                          payments_initiation_sends):
                await conn.execute(delete(table).where(table.c.initiation_id.in_(initiations)))
            for table in (payments_adjustments, payments_payments, payments_balances,
                          payments_order_adjustments, payments_orders, payments_conversions,
                          payments_accounts, payments_bank_account_related_accounts,
                          payments_states, payments_schedules,
                          payments_instances, payments_initiation_reversals,
                          payments_initiations, payments_send_slots,
                          payments_open_banking_connections, payments_link_attempts,
                          payments_psu_connectors, payments_connectors):
                column = table.c.id if table is payments_connectors else table.c.connector_id
                await conn.execute(delete(table).where(column == connector_id))


# --- ingestion steps (inside the page's transaction) ------------------------------------------

async def _save_accounts(conn: AsyncConnection, accounts: list[Account]) -> int:
    """One multi-row upsert per chunk; an unchanged account is a no-op (the WHERE), so only
    new or changed ones come back and get their event."""
    by_id = {a.id: a for a in accounts}  # one row per id: a statement cannot touch a row twice
    saved: list[Account] = []
    for chunk in _chunks(list(by_id.values())):
        stmt = pg_insert(payments_accounts).values([{
            "id": a.id, "connector_id": a.connector_id, "provider": a.provider,
            "reference": a.reference, "created_at": a.created_at, "type": a.type.value,
            "name": a.name, "default_asset": a.default_asset, "metadata": a.metadata,
            "raw": a.raw} for a in chunk])
        mutable = ("name", "default_asset", "metadata", "raw")
        upsert = stmt.on_conflict_do_update(
            index_elements=[payments_accounts.c.id],
            set_={c: stmt.excluded[c] for c in mutable},
            where=tuple_(*(payments_accounts.c[c] for c in mutable)).is_distinct_from(
                tuple_(*(stmt.excluded[c] for c in mutable))),
        ).returning(payments_accounts.c.id)
        saved += [by_id[i] for i in (await conn.execute(upsert)).scalars()]
    await _events(conn, ev.EventType.SAVED_ACCOUNT, [ev.account_payload(a) for a in saved])
    return len(saved)


async def _save_balance(conn: AsyncConnection, connector_id: str, provider: str,
                        b: Balance) -> int:
    """A new row when the balance changed; otherwise the latest row is only marked seen."""
    latest = (await conn.execute(
        select(payments_balances.c.balance, payments_balances.c.created_at)
        .where(payments_balances.c.account_id == b.account_id,
               payments_balances.c.asset == b.asset)
        .order_by(payments_balances.c.created_at.desc()).limit(1).with_for_update())).first()
    if latest is not None and _int(latest.balance) == b.balance:
        await conn.execute(update(payments_balances).where(
            payments_balances.c.account_id == b.account_id,
            payments_balances.c.asset == b.asset,
            payments_balances.c.created_at == latest.created_at,
            payments_balances.c.last_updated_at < b.last_updated_at,
        ).values(last_updated_at=b.last_updated_at))
        return 0
    inserted = (await conn.execute(pg_insert(payments_balances).values(
        account_id=b.account_id, connector_id=connector_id, asset=b.asset, balance=b.balance,
        created_at=b.created_at, last_updated_at=b.last_updated_at,
    ).on_conflict_do_nothing().returning(payments_balances.c.account_id))).first()
    if inserted is None:
        return 0
    await _event(conn, ev.EventType.SAVED_BALANCE, ev.balance_payload(b, connector_id, provider))
    return 1


# Payments are the volume of ingestion: one constant statement per table over arrays
# (unnest), prepared once per connection by asyncpg, instead of SQLAlchemy compiling a
# thousand-row VALUES list for every page (that compilation was most of a page's time).
_INSERT_ADJUSTMENTS = """
INSERT INTO payments_adjustments (id, payment_id, connector_id, reference, created_at, status,
                                  amount, asset, metadata, raw)
SELECT a.id, a.payment_id, a.connector_id, a.reference, a.created_at, a.status,
       a.amount::numeric, a.asset, a.metadata::jsonb, a.raw::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::text[])
     AS a(id, payment_id, connector_id, reference, created_at, status, amount, asset, metadata,
          raw)
ON CONFLICT (id) DO NOTHING
RETURNING id"""

_UPSERT_PAYMENTS = """
INSERT INTO payments_payments AS p (id, connector_id, provider, reference, type, created_at,
                                    initial_amount, amount, asset, scheme, status,
                                    source_account_id, destination_account_id, metadata,
                                    updated_at)
SELECT x.id, x.connector_id, x.provider, x.reference, x.type, x.created_at,
       x.initial_amount::numeric, x.amount::numeric, x.asset, x.scheme, x.status,
       x.source_account_id, x.destination_account_id, x.metadata::jsonb, x.updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
            $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
            $13::text[], $14::text[], $15::timestamptz[])
     AS x(id, connector_id, provider, reference, type, created_at, initial_amount, amount,
          asset, scheme, status, source_account_id, destination_account_id, metadata,
          updated_at)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, amount = excluded.amount,
    metadata = excluded.metadata, updated_at = excluded.updated_at
WHERE p.updated_at <= excluded.updated_at
RETURNING p.*"""

_SELECT_PAYMENTS = "SELECT * FROM payments_payments WHERE id = any($1::text[])"

# The payments tables a page grows, whose statistics lag far behind their rows (reltuples is
# -1 before the first analyze). The names come from this constant, never from input.
_GROWN_TABLES = text("""
SELECT c.relname FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relname IN ('payments_payments', 'payments_adjustments')
  AND s.n_mod_since_analyze > greatest(4 * c.reltuples, 500)
ORDER BY c.relname""")

_INSERT_EVENTS = """
INSERT INTO events_outbox (app, type, envelope, created_at)
SELECT $1, $2, e::jsonb, $3 FROM unnest($4::text[]) AS e"""


async def _save_payments(conn: AsyncConnection,
                         items: list[tuple[Payment, PaymentAdjustment]]) -> int:
    """A few statements per page: the adjustment is the unit of change, so the adjustments are
    inserted first (one seen before is skipped); the payments with a new one are upserted,
    moving status and amount only to a newer view; one SAVED_PAYMENT per payment that changed.
    Returns how many payments changed."""
    if not items:
        return 0
    driver = await _driver(conn)
    adjustments = {a.id: (p, a) for p, a in items}
    rows = list(adjustments.values())
    new_ids = {r["id"] for r in await driver.fetch(
        _INSERT_ADJUSTMENTS, [a.id for _, a in rows], [p.id for p, _ in rows],
        [p.connector_id for p, _ in rows], [a.reference for _, a in rows],
        [a.created_at for _, a in rows], [a.status.value for _, a in rows],
        [None if a.amount is None else str(a.amount) for _, a in rows],
        [a.asset for _, a in rows], [json.dumps(a.metadata) for _, a in rows],
        [json.dumps(a.raw) for _, a in rows])}
    if not new_ids:
        return 0
    # Per payment: its newest new view (status, amount) and its earliest (initial amount, used
    # only when the payment is new).
    newest: dict[str, tuple[Payment, PaymentAdjustment]] = {}
    earliest: dict[str, PaymentAdjustment] = {}
    for p, a in (adjustments[i] for i in new_ids):
        if p.id not in newest or a.created_at >= newest[p.id][1].created_at:
            newest[p.id] = (p, a)
        if p.id not in earliest or a.created_at < earliest[p.id].created_at:
            earliest[p.id] = a
    views = list(newest.values())
    saved = await driver.fetch(
        _UPSERT_PAYMENTS, [p.id for p, _ in views], [p.connector_id for p, _ in views],
        [p.provider for p, _ in views], [p.reference for p, _ in views],
        [p.type.value for p, _ in views], [p.created_at for p, _ in views],
        [str(earliest[p.id].amount if earliest[p.id].amount is not None else p.initial_amount)
         for p, _ in views],
        [str(p.amount) for p, _ in views], [p.asset for p, _ in views],
        [p.scheme for p, _ in views], [p.status.value for p, _ in views],
        [p.source_account_id for p, _ in views], [p.destination_account_id for p, _ in views],
        [json.dumps(p.metadata) for p, _ in views], [a.created_at for _, a in views])
    late = list(set(newest) - {r["id"] for r in saved})
    if late:  # older views that arrived late: history only, the payment as it stands
        saved += await driver.fetch(_SELECT_PAYMENTS, late)
    now = datetime.now(UTC)
    await driver.execute(_INSERT_EVENTS, ev.APP, ev.EventType.SAVED_PAYMENT.value, now, [
        json.dumps(event_envelope(ev.APP, ev.EventType.SAVED_PAYMENT.value,
                                  ev.payment_payload(_payment(_Record(r), ())), date=now))
        for r in saved])
    return len(saved)


# The order columns a newer view replaces (identity and creation stay as first seen).
_ORDER_VIEW = ("client_order_id", "updated_at", "direction", "source_asset",
               "destination_asset", "type", "status", "base_quantity_ordered",
               "base_quantity_filled", "limit_price", "stop_price", "time_in_force",
               "expires_at", "fee", "fee_asset", "average_fill_price", "quote_amount",
               "quote_asset", "price_asset", "source_account_id", "destination_account_id",
               "error", "metadata")


async def _save_orders(conn: AsyncConnection,
                       items: list[tuple[Order, OrderAdjustment]]) -> int:
    """As payments: the adjustment is the unit of change (a state seen before is skipped); an
    order with a new adjustment moves to its newest view unless it already shows a newer one
    (so its status is always its latest adjustment's); one SAVED_ORDER per such order.
    Returns how many orders changed."""
    if not items:
        return 0
    adjustments = {a.id: (o, a) for o, a in items}
    new_ids: set[str] = set()
    for chunk in _chunks(list(adjustments.values())):
        new_ids |= set((await conn.execute(pg_insert(payments_order_adjustments).values([{
            "id": a.id, "order_id": o.id, "connector_id": o.connector_id,
            "reference": a.reference, "created_at": a.created_at, "status": a.status.value,
            "base_quantity_filled": a.base_quantity_filled, "fee": a.fee,
            "fee_asset": a.fee_asset, "metadata": a.metadata, "raw": a.raw}
            for o, a in chunk]).on_conflict_do_nothing()
            .returning(payments_order_adjustments.c.id))).scalars())
    if not new_ids:
        return 0
    newest: dict[str, Order] = {}
    for o, _ in (adjustments[i] for i in new_ids):
        if o.id not in newest or o.updated_at >= newest[o.id].updated_at:
            newest[o.id] = o
    for views in _chunks(list(newest.values())):
        stmt = pg_insert(payments_orders).values([_order_row(o) for o in views])
        await conn.execute(stmt.on_conflict_do_update(
            index_elements=[payments_orders.c.id],
            set_={c: stmt.excluded[c] for c in _ORDER_VIEW},
            where=payments_orders.c.updated_at <= stmt.excluded.updated_at))
    # Every order with a new adjustment, as it now stands (an older view that arrived late
    # still added history).
    rows = (await conn.execute(select(payments_orders)
                               .where(payments_orders.c.id.in_(list(newest)))
                               .order_by(payments_orders.c.id))).all()
    await _events(conn, ev.EventType.SAVED_ORDER, [ev.order_payload(_order(r, ())) for r in rows])
    return len(rows)


def _order_row(o: Order) -> dict[str, Any]:
    return {"id": o.id, "connector_id": o.connector_id, "provider": o.provider,
            "reference": o.reference, "client_order_id": o.client_order_id,
            "created_at": o.created_at, "updated_at": o.updated_at,
            "direction": o.direction.value, "source_asset": o.source_asset,
            "destination_asset": o.destination_asset, "type": o.type.value,
            "status": o.status.value, "base_quantity_ordered": o.base_quantity_ordered,
            "base_quantity_filled": o.base_quantity_filled, "limit_price": o.limit_price,
            "stop_price": o.stop_price, "time_in_force": o.time_in_force.value,
            "expires_at": o.expires_at, "fee": o.fee, "fee_asset": o.fee_asset,
            "average_fill_price": o.average_fill_price, "quote_amount": o.quote_amount,
            "quote_asset": o.quote_asset, "price_asset": o.price_asset,
            "source_account_id": o.source_account_id,
            "destination_account_id": o.destination_account_id, "error": o.error,
            "metadata": o.metadata}


# The conversion columns a newer view replaces.
_CONVERSION_VIEW = ("updated_at", "source_asset", "destination_asset", "source_amount",
                    "destination_amount", "fee", "fee_asset", "status", "source_account_id",
                    "destination_account_id", "error", "metadata", "raw")


async def _save_conversions(conn: AsyncConnection, conversions: list[Conversion]) -> int:
    """Upserted: a conversion keeps only its latest state (no history), moved to a view that
    is not older and differs from it; SAVED_CONVERSION for each new or changed one."""
    by_id: dict[str, Conversion] = {}
    for c in conversions:  # one row per id: a statement cannot touch a row twice
        if c.id not in by_id or c.updated_at >= by_id[c.id].updated_at:
            by_id[c.id] = c
    saved: list[Conversion] = []
    for chunk in _chunks(list(by_id.values())):
        stmt = pg_insert(payments_conversions).values([{
            "id": c.id, "connector_id": c.connector_id, "provider": c.provider,
            "reference": c.reference, "created_at": c.created_at, "updated_at": c.updated_at,
            "source_asset": c.source_asset, "destination_asset": c.destination_asset,
            "source_amount": c.source_amount, "destination_amount": c.destination_amount,
            "fee": c.fee, "fee_asset": c.fee_asset, "status": c.status.value,
            "source_account_id": c.source_account_id,
            "destination_account_id": c.destination_account_id, "error": c.error,
            "metadata": c.metadata, "raw": c.raw} for c in chunk])
        compared = [c for c in _CONVERSION_VIEW if c != "updated_at"]
        upsert = stmt.on_conflict_do_update(
            index_elements=[payments_conversions.c.id],
            set_={c: stmt.excluded[c] for c in _CONVERSION_VIEW},
            where=and_(payments_conversions.c.updated_at <= stmt.excluded.updated_at,
                       tuple_(*(payments_conversions.c[c] for c in compared))
                       .is_distinct_from(tuple_(*(stmt.excluded[c] for c in compared)))),
        ).returning(*payments_conversions.c)
        saved += [_conversion(r) for r in (await conn.execute(upsert)).all()]
    await _events(conn, ev.EventType.SAVED_CONVERSION,
                  [ev.conversion_payload(c) for c in saved])
    return len(saved)


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under `conn`, inside its open transaction."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


class _Record:
    """An asyncpg record read like a SQLAlchemy row (jsonb arrives as text from asyncpg)."""

    def __init__(self, record: Any) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        value = self._record[name]
        return json.loads(value) if name == "metadata" and isinstance(value, str) else value


def _chunks(items: list[T], size: int = _CHUNK) -> list[list[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


async def _events(conn: AsyncConnection, event_type: ev.EventType,
                  payloads: list[dict[str, Any]]) -> None:
    if not payloads:
        return
    now = datetime.now(UTC)
    for chunk in _chunks(payloads):
        await conn.execute(insert(events_outbox).values([{
            "app": ev.APP, "type": event_type.value,
            "envelope": event_envelope(ev.APP, event_type.value, payload, date=now),
            "created_at": now} for payload in chunk]))


async def _event(conn: AsyncConnection, event_type: ev.EventType,
                 payload: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    await conn.execute(insert(events_outbox).values(
        app=ev.APP, type=event_type.value,
        envelope=event_envelope(ev.APP, event_type.value, payload, date=now), created_at=now))


async def _adjustments(conn: AsyncConnection, payment_ids: list[str]
                       ) -> dict[str, tuple[PaymentAdjustment, ...]]:
    if not payment_ids:
        return {}
    rows = (await conn.execute(
        select(payments_adjustments).where(payments_adjustments.c.payment_id.in_(payment_ids))
        .order_by(payments_adjustments.c.payment_id, payments_adjustments.c.created_at.desc(),
                  payments_adjustments.c.id))).all()
    out: dict[str, list[PaymentAdjustment]] = {}
    for r in rows:
        out.setdefault(r.payment_id, []).append(PaymentAdjustment(
            id=r.id, reference=r.reference, created_at=r.created_at,
            status=PaymentStatus(r.status), amount=None if r.amount is None else int(r.amount),
            asset=r.asset, metadata=dict(r.metadata), raw=dict(r.raw)))
    return {k: tuple(v) for k, v in out.items()}


async def _order_adjustments(conn: AsyncConnection, order_ids: list[str]
                             ) -> dict[str, tuple[OrderAdjustment, ...]]:
    """Oldest first, as the spec orders them: the last one is the order's current state."""
    if not order_ids:
        return {}
    t = payments_order_adjustments
    rows = (await conn.execute(select(t).where(t.c.order_id.in_(order_ids))
                               .order_by(t.c.order_id, t.c.created_at, t.c.seq))).all()
    out: dict[str, list[OrderAdjustment]] = {}
    for r in rows:
        out.setdefault(r.order_id, []).append(OrderAdjustment(
            id=r.id, reference=r.reference, created_at=r.created_at,
            status=OrderStatus(r.status), base_quantity_filled=_opt_int(r.base_quantity_filled),
            fee=_opt_int(r.fee), fee_asset=r.fee_asset, metadata=dict(r.metadata),
            raw=dict(r.raw)))
    return {k: tuple(v) for k, v in out.items()}


def _where(columns: dict[str, Any], filters: dict[str, str]) -> list[ColumnElement[bool]]:
    """Equality on each key's column; `metadata[<key>]` is containment in the metadata column
    (@>, so a GIN index on it would serve it)."""
    out: list[ColumnElement[bool]] = []
    for k, v in filters.items():
        meta = metadata_key(k)
        out.append(and_(columns["metadata"].contains({meta: v}) if meta is not None
                        else columns[k] == v))
    return out


# --- rows to models -----------------------------------------------------------------------------

def _connector(r: Row[Any]) -> Connector:
    return Connector(id=r.id, reference=r.reference, name=r.name, provider=r.provider,
                     created_at=r.created_at, config=dict(r.config),
                     scheduled_for_deletion=r.scheduled_for_deletion, updated_at=r.updated_at)


def _member_ids(pool: Row[Any]) -> Select[Any]:
    """The ids of a pool's accounts: its rows if static, else those its query matches now."""
    if pool.type == PoolType.DYNAMIC.value:
        filters = parse_filters(pool.query, POOL_QUERY_KEYS)
        return select(payments_accounts.c.id).where(*_where(POOL_ACCOUNT_FILTERS, filters))
    return select(payments_pool_accounts.c.account_id).where(
        payments_pool_accounts.c.pool_id == pool.id)


async def _members(conn: AsyncConnection, pools: Sequence[Row[Any]]
                   ) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    static = [p.id for p in pools if p.type != PoolType.DYNAMIC.value]
    if static:
        rows = (await conn.execute(
            select(payments_pool_accounts).where(payments_pool_accounts.c.pool_id.in_(static))
            .order_by(payments_pool_accounts.c.pool_id, payments_pool_accounts.c.account_id)
        )).all()
        grouped: dict[str, list[str]] = {}
        for r in rows:
            grouped.setdefault(r.pool_id, []).append(r.account_id)
        out.update({k: tuple(v) for k, v in grouped.items()})
    for pool in pools:
        if pool.type == PoolType.DYNAMIC.value:
            ids_ = _member_ids(pool).order_by(payments_accounts.c.id)
            out[pool.id] = tuple(str(i) for i in (await conn.execute(ids_)).scalars())
    return out


def _pool(r: Row[Any], members: tuple[str, ...]) -> Pool:
    return Pool(id=r.id, name=r.name, created_at=r.created_at, type=PoolType(r.type),
                account_ids=members, query=r.query)


async def _related(conn: AsyncConnection, bank_account_ids: list[str]
                   ) -> dict[str, tuple[BankAccountRelatedAccount, ...]]:
    if not bank_account_ids:
        return {}
    t = payments_bank_account_related_accounts
    rows = (await conn.execute(select(t).where(t.c.bank_account_id.in_(bank_account_ids))
                               .order_by(t.c.bank_account_id, t.c.created_at, t.c.account_id)
                               )).all()
    out: dict[str, list[BankAccountRelatedAccount]] = {}
    for r in rows:
        out.setdefault(r.bank_account_id, []).append(BankAccountRelatedAccount(
            account_id=r.account_id, connector_id=r.connector_id, created_at=r.created_at))
    return {k: tuple(v) for k, v in out.items()}


async def _bank_account(conn: AsyncConnection, bank_account_id: str) -> BankAccount | None:
    row = (await conn.execute(select(payments_bank_accounts)
                              .where(payments_bank_accounts.c.id == bank_account_id))).first()
    if row is None:
        return None
    related = await _related(conn, [bank_account_id])
    return _bank(row, related.get(bank_account_id, ()))


def _bank(r: Row[Any], related: tuple[BankAccountRelatedAccount, ...]) -> BankAccount:
    return BankAccount(id=r.id, created_at=r.created_at, name=r.name,
                       account_number=r.account_number, iban=r.iban,
                       swift_bic_code=r.swift_bic_code, country=r.country,
                       metadata=dict(r.metadata), related_accounts=related)


def _schedule(r: Row[Any]) -> Schedule:
    return Schedule(r.id, r.connector_id, r.created_at, paused_at=r.paused_at,
                    paused_reason=r.paused_reason)


def _account(r: Row[Any]) -> Account:
    return Account(id=r.id, connector_id=r.connector_id, provider=r.provider,
                   reference=r.reference, created_at=r.created_at, type=AccountType(r.type),
                   name=r.name, default_asset=r.default_asset, metadata=dict(r.metadata),
                   raw=dict(r.raw))


def _balance(r: Row[Any]) -> Balance:
    return Balance(account_id=r.account_id, asset=r.asset, balance=_int(r.balance),
                   created_at=r.created_at, last_updated_at=r.last_updated_at)


def _payment(r: Row[Any] | _Record, adjustments: tuple[PaymentAdjustment, ...]) -> Payment:
    return Payment(id=r.id, connector_id=r.connector_id, provider=r.provider,
                   reference=r.reference, created_at=r.created_at, type=PaymentType(r.type),
                   initial_amount=_int(r.initial_amount), amount=_int(r.amount), asset=r.asset,
                   scheme=r.scheme, status=PaymentStatus(r.status),
                   source_account_id=r.source_account_id,
                   destination_account_id=r.destination_account_id,
                   metadata=dict(r.metadata), adjustments=adjustments)


def _task(r: Row[Any]) -> Task:
    return Task(id=r.id, connector_id=r.connector_id, status=TaskStatus(r.status),
                created_at=r.created_at, updated_at=r.updated_at,
                created_object_id=r.created_object_id, error=r.error)



def _opt_int(value: Decimal | int | None) -> int | None:
    return None if value is None else int(value)


def _order(r: Row[Any], adjustments: tuple[OrderAdjustment, ...]) -> Order:
    return Order(id=r.id, connector_id=r.connector_id, provider=r.provider,
                 reference=r.reference, created_at=r.created_at, updated_at=r.updated_at,
                 direction=OrderDirection(r.direction), source_asset=r.source_asset,
                 destination_asset=r.destination_asset, type=OrderType(r.type),
                 status=OrderStatus(r.status),
                 base_quantity_ordered=_int(r.base_quantity_ordered),
                 time_in_force=TimeInForce(r.time_in_force), client_order_id=r.client_order_id,
                 base_quantity_filled=_opt_int(r.base_quantity_filled),
                 limit_price=_opt_int(r.limit_price), stop_price=_opt_int(r.stop_price),
                 expires_at=r.expires_at, fee=_opt_int(r.fee), fee_asset=r.fee_asset,
                 average_fill_price=_opt_int(r.average_fill_price),
                 quote_amount=_opt_int(r.quote_amount), quote_asset=r.quote_asset,
                 price_asset=r.price_asset, source_account_id=r.source_account_id,
                 destination_account_id=r.destination_account_id, error=r.error,
                 metadata=dict(r.metadata), adjustments=adjustments)


def _conversion(r: Row[Any]) -> Conversion:
    return Conversion(id=r.id, connector_id=r.connector_id, provider=r.provider,
                      reference=r.reference, created_at=r.created_at, updated_at=r.updated_at,
                      source_asset=r.source_asset, destination_asset=r.destination_asset,
                      source_amount=_int(r.source_amount), status=ConversionStatus(r.status),
                      destination_amount=_opt_int(r.destination_amount), fee=_opt_int(r.fee),
                      fee_asset=r.fee_asset, source_account_id=r.source_account_id,
                      destination_account_id=r.destination_account_id, error=r.error,
                      metadata=dict(r.metadata), raw=dict(r.raw))
