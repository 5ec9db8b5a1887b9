"""The payments service: connector install/uninstall bookkeeping, reads for the v3 API, and the
pure mapping of provider objects to stored ones (ids built from the provider's references, so
the same object ingested twice is the same row)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from domain.errors import ValidationError
from domain.pagination import Page
from domain.payments import creation, ids
from domain.payments.errors import (
    AccountNotFoundError,
    BankAccountNotFoundError,
    ConnectorNotFoundError,
    ConversionNotFoundError,
    InvalidConfigError,
    InvalidIDError,
    OrderNotFoundError,
    PaymentNotFoundError,
    PoolNotFoundError,
    ScheduleNotFoundError,
    TaskNotFoundError,
    UnknownAccountsError,
)
from domain.payments.models import (
    Account,
    AccountType,
    Balance,
    BankAccount,
    Capability,
    Connector,
    Conversion,
    Instance,
    Order,
    OrderAdjustment,
    Payment,
    PaymentAdjustment,
    Pool,
    PoolBalance,
    PoolType,
    Schedule,
    Task,
    TaskStatus,
)
from domain.payments.plugin import PSPAccount, PSPBalance, PSPConversion, PSPOrder, PSPPayment
from domain.payments.ports import PaymentsStore
from domain.payments.query import POOL_QUERY_KEYS, parse_filters
from domain.payments.registry import provider


class PaymentsService:
    def __init__(self, store: PaymentsStore, *, min_polling_period: timedelta) -> None:
        self.store = store
        self.min_polling_period = min_polling_period

    # --- connectors ---------------------------------------------------------------------------

    def validate_install(self, provider_name: str, raw: Any) -> tuple[str, dict[str, Any]]:
        spec = provider(provider_name)
        config = spec.validate_config(raw, min_polling_period=self.min_polling_period)
        endpoint = config.get("endpoint")
        if isinstance(endpoint, str):
            url = urlparse(endpoint)
            if url.scheme not in ("http", "https") or not url.netloc:
                raise InvalidConfigError("config field endpoint must be an http(s) URL")
        return spec.name, config

    async def install(self, provider_name: str, raw: Any) -> Connector:
        name, config = self.validate_install(provider_name, raw)
        cid = ids.ConnectorID(name, str(uuid.uuid4()))
        now = datetime.now(UTC)
        connector = Connector(id=str(cid), reference=cid.reference, name=config["name"],
                              provider=name, created_at=now, config=config, updated_at=now)
        await self.store.create_connector(connector)
        return connector

    async def forget(self, connector_id: str) -> None:
        """The install could not start: the connector never existed."""
        await self.store.delete_connector(connector_id)

    async def connector(self, connector_id: str) -> Connector:
        ids.ConnectorID.parse(connector_id)
        connector = await self.store.get_connector(connector_id)
        if connector is None:
            raise ConnectorNotFoundError(connector_id)
        return connector

    async def connectors(self, offset: int, size: int) -> Page[Connector]:
        return await self.store.list_connectors(offset, size)

    async def update_config(self, connector_id: str, raw: Any) -> Connector:
        """The new config, validated against the connector's provider (its name stays)."""
        connector = await self.connector(connector_id)
        if connector.scheduled_for_deletion:
            raise ValidationError(f"connector {connector_id!r} is scheduled for deletion")
        _, config = self.validate_install(connector.provider, raw)
        config["name"] = connector.name
        await self.store.update_config(connector_id, config, datetime.now(UTC))
        return await self.connector(connector_id)

    async def schedules(self, connector_id: str, offset: int, size: int) -> Page[Schedule]:
        await self.connector(connector_id)
        return await self.store.list_schedules(connector_id, offset, size)

    async def schedule(self, connector_id: str, schedule_id: str) -> Schedule:
        await self.connector(connector_id)
        schedule = await self.store.get_schedule(connector_id, schedule_id)
        if schedule is None:
            raise ScheduleNotFoundError(schedule_id)
        return schedule

    async def instances(self, connector_id: str, schedule_id: str, offset: int,
                        size: int) -> Page[Instance]:
        await self.schedule(connector_id, schedule_id)
        return await self.store.list_instances(schedule_id, offset, size)

    async def begin_reset(self, connector_id: str) -> Task:
        return await self.begin_uninstall(connector_id, operation="reset")

    async def begin_uninstall(self, connector_id: str, *, operation: str = "uninstall") -> Task:
        # A connector already scheduled for deletion may be uninstalled again: the uninstall
        # that could not start is retried (its workflow id makes a running one the answer).
        await self.connector(connector_id)
        cid = ids.ConnectorID.parse(connector_id)
        now = datetime.now(UTC)
        task = Task(id=ids.operation_task_id(cid, operation),
                    connector_id=connector_id, status=TaskStatus.PROCESSING, created_at=now,
                    updated_at=now)
        await self.store.schedule_for_deletion(connector_id, task)
        return task

    async def task(self, task_id: str) -> Task:
        ids.check_task_id(task_id)
        task = await self.store.get_task(task_id)
        if task is None:
            raise TaskNotFoundError(task_id)
        return task

    # --- objects ----------------------------------------------------------------------------

    async def account(self, account_id: str) -> Account:
        ids.connector_of("account", account_id)
        account = await self.store.get_account(account_id)
        if account is None:
            raise AccountNotFoundError(account_id)
        return account

    async def accounts(self, filters: dict[str, str], offset: int, size: int) -> Page[Account]:
        return await self.store.list_accounts(filters, offset, size)

    async def balances(self, account_id: str, asset: str | None, offset: int,
                       size: int) -> Page[Balance]:
        await self.account(account_id)
        return await self.store.list_balances(account_id, asset, offset, size)

    async def payment(self, payment_id: str) -> Payment:
        ids.connector_of("payment", payment_id)
        payment = await self.store.get_payment(payment_id)
        if payment is None:
            raise PaymentNotFoundError(payment_id)
        return payment

    async def add_payment_metadata(self, payment_id: str, metadata: Any) -> Payment:
        """Merged into the payment's metadata (Formance adds keys, it never removes them)."""
        ids.connector_of("payment", payment_id)
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValidationError("metadata must be an object of string values")
        payment = await self.store.add_payment_metadata(payment_id, metadata)
        if payment is None:
            raise PaymentNotFoundError(payment_id)
        return payment

    async def payments(self, filters: dict[str, str], offset: int, size: int) -> Page[Payment]:
        return await self.store.list_payments(filters, offset, size)

    async def order(self, order_id: str) -> Order:
        ids.connector_of("order", order_id)
        order = await self.store.get_order(order_id)
        if order is None:
            raise OrderNotFoundError(order_id)
        return order

    async def orders(self, filters: dict[str, str], offset: int, size: int) -> Page[Order]:
        return await self.store.list_orders(filters, offset, size)

    async def conversion(self, conversion_id: str) -> Conversion:
        ids.connector_of("conversion", conversion_id)
        conversion = await self.store.get_conversion(conversion_id)
        if conversion is None:
            raise ConversionNotFoundError(conversion_id)
        return conversion

    async def conversions(self, filters: dict[str, str], offset: int,
                          size: int) -> Page[Conversion]:
        return await self.store.list_conversions(filters, offset, size)


    # --- created through the API ------------------------------------------------------------

    async def _capable(self, connector: ids.ConnectorID, capability: Capability) -> Connector:
        """The connector a request body names, able to do `capability`; a 400 otherwise (the
        body is what is wrong, whether the connector is unknown or cannot do it)."""
        found = await self.store.get_connector(str(connector))
        if found is None:
            raise ValidationError(f"connector {str(connector)!r} not found")
        if found.scheduled_for_deletion:
            raise ValidationError(f"connector {found.id!r} is scheduled for deletion")
        spec = provider(found.provider)
        if capability not in spec.capabilities:
            raise ValidationError(f"connector {found.id!r} ({found.provider}) does not allow "
                                  f"{capability.value}")
        return found

    async def create_account(self, body: Any) -> Account:
        connector, account = creation.account(body, datetime.now(UTC))
        await self._capable(connector, Capability.ALLOW_FORMANCE_ACCOUNT_CREATION)
        return await self.store.create_account(account)

    async def create_payment(self, body: Any) -> Payment:
        connector, payment = creation.payment(body, datetime.now(UTC))
        await self._capable(connector, Capability.ALLOW_FORMANCE_PAYMENT_CREATION)
        for field, account_id in (("sourceAccountID", payment.source_account_id),
                                  ("destinationAccountID", payment.destination_account_id)):
            if account_id is None:
                continue
            account = await self.store.get_account(account_id)
            if account is None:
                raise ValidationError(f"{field}: account {account_id} does not exist")
            if account.connector_id != payment.connector_id:
                raise ValidationError(
                    f"{field}: account {account_id} belongs to connector "
                    f"{account.connector_id}, not the payment's {payment.connector_id}")
        return await self.store.create_payment(payment)

    async def create_bank_account(self, body: Any) -> BankAccount:
        bank = creation.bank_account(body, str(uuid.uuid4()), datetime.now(UTC))
        await self.store.create_bank_account(bank)
        return bank

    async def bank_account(self, bank_account_id: str) -> BankAccount:
        found = await self.store.get_bank_account(_uuid("bank account", bank_account_id))
        if found is None:
            raise BankAccountNotFoundError(bank_account_id)
        return found

    async def bank_accounts(self, offset: int, size: int) -> Page[BankAccount]:
        return await self.store.list_bank_accounts(offset, size)

    async def add_bank_account_metadata(self, bank_account_id: str, raw: Any) -> BankAccount:
        """Merged, as a payment's metadata is."""
        bank_id = _uuid("bank account", bank_account_id)
        found = await self.store.add_bank_account_metadata(bank_id, creation.metadata(raw))
        if found is None:
            raise BankAccountNotFoundError(bank_account_id)
        return found

    async def begin_forward(self, bank_account_id: str, connector_id: Any) -> Task:
        """The task of forwarding the bank account to the connector. Its id is built from both,
        so asking again answers the same task (and the workflow it names runs once)."""
        bank = await self.bank_account(bank_account_id)
        if not isinstance(connector_id, str) or not connector_id:
            raise ValidationError("connectorID is required")
        cid = ids.ConnectorID.parse(connector_id)
        connector = await self._capable(cid, Capability.CREATE_BANK_ACCOUNT)
        now = datetime.now(UTC)
        task = Task(id=ids.task_id(cid, f"create-bank-account-{bank.id}"),
                    connector_id=connector.id, status=TaskStatus.PROCESSING, created_at=now,
                    updated_at=now)
        if not await self.store.create_task(task):
            existing = await self.store.get_task(task.id)
            if existing is not None:
                return existing
        return task

    # --- pools -----------------------------------------------------------------------------

    async def create_pool(self, name: Any, account_ids: Any, query: Any = None) -> Pool:
        """A STATIC pool of the given accounts, or a DYNAMIC one whose accounts are those its
        query matches whenever it is read (accounts ingested later join it)."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("a pool needs a name")
        if query is not None:
            if account_ids:
                raise ValidationError("a pool takes accountIDs or a query, not both")
            pool = Pool(id=str(uuid.uuid4()), name=name, created_at=datetime.now(UTC),
                        type=PoolType.DYNAMIC, query=_pool_query(query))
            await self.store.create_pool(pool)
            return await self.pool(pool.id)
        if account_ids is None:
            account_ids = []
        if not isinstance(account_ids, list) or not all(isinstance(a, str) for a in account_ids):
            raise ValidationError("accountIDs must be a list of account ids")
        for account in account_ids:
            ids.connector_of("account", account)
        unique = list(dict.fromkeys(account_ids))
        known = await self.store.existing_accounts(unique)
        unknown = [a for a in unique if a not in known]
        if unknown:
            raise UnknownAccountsError(unknown)
        pool = Pool(id=str(uuid.uuid4()), name=name, created_at=datetime.now(UTC),
                    type=PoolType.STATIC, account_ids=tuple(unique))
        await self.store.create_pool(pool)
        return pool

    async def update_pool_query(self, pool_id: str, query: Any) -> None:
        pool = await self.pool(pool_id)
        if pool.type is not PoolType.DYNAMIC:
            raise ValidationError(f"pool {pool_id!r} is static: its accounts are added and "
                                  "removed one by one, it has no query")
        await self.store.update_pool_query(pool.id, _pool_query(query))

    async def pool(self, pool_id: str) -> Pool:
        pool = await self.store.get_pool(_pool_id(pool_id))
        if pool is None:
            raise PoolNotFoundError(pool_id)
        return pool

    async def pools(self, offset: int, size: int) -> Page[Pool]:
        return await self.store.list_pools(offset, size)

    async def delete_pool(self, pool_id: str) -> None:
        if not await self.store.delete_pool(_pool_id(pool_id)):
            raise PoolNotFoundError(pool_id)

    async def add_pool_account(self, pool_id: str, account_id: str) -> None:
        _static(await self.pool(pool_id))
        ids.connector_of("account", account_id)
        if not await self.store.existing_accounts([account_id]):
            raise UnknownAccountsError([account_id])
        await self.store.add_pool_account(pool_id, account_id)

    async def remove_pool_account(self, pool_id: str, account_id: str) -> None:
        _static(await self.pool(pool_id))
        ids.connector_of("account", account_id)
        await self.store.remove_pool_account(pool_id, account_id)

    async def pool_balances(self, pool_id: str, at: datetime | None) -> list[PoolBalance]:
        await self.pool(pool_id)
        return await self.store.pool_balances(pool_id, at)


def _pool_query(query: Any) -> dict[str, Any]:
    """The query as given, once it parses on the account keys a pool may use."""
    if not isinstance(query, dict):
        raise ValidationError("query must be a query-builder object")
    parse_filters(query, POOL_QUERY_KEYS)
    return query


def _static(pool: Pool) -> None:
    if pool.type is not PoolType.STATIC:
        raise ValidationError(f"pool {pool.id!r} is dynamic: its accounts are those its query "
                              "matches; change the query instead")


def _pool_id(value: str) -> str:
    return _uuid("pool", value)


def _uuid(kind: str, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidIDError(kind, value) from None


# --- provider objects to stored objects (pure) ----------------------------------------------


def to_account(connector: ids.ConnectorID, psp: PSPAccount, kind: AccountType) -> Account:
    return Account(id=ids.account_id(connector, psp.reference), connector_id=str(connector),
                   provider=connector.provider, reference=psp.reference,
                   created_at=psp.created_at, type=kind, name=psp.name,
                   default_asset=psp.default_asset, metadata=dict(psp.metadata),
                   raw=dict(psp.raw))


def to_balance(connector: ids.ConnectorID, psp: PSPBalance) -> Balance:
    return Balance(account_id=ids.account_id(connector, psp.account_reference), asset=psp.asset,
                   balance=psp.amount, created_at=psp.at, last_updated_at=psp.at)


def to_payment(connector: ids.ConnectorID, psp: PSPPayment) -> tuple[Payment, PaymentAdjustment]:
    """The payment as first seen and the adjustment this provider view adds to it. The store
    keeps the first view's amount as `initialAmount` and moves status and amount forward only
    for a newer adjustment."""
    pid = ids.payment_id(connector, psp.reference, psp.type.value)
    adjustment = PaymentAdjustment(
        id=ids.adjustment_id(pid, psp.reference, _iso(psp.updated_at), psp.status.value),
        reference=psp.reference, created_at=psp.updated_at, status=psp.status,
        amount=psp.amount, asset=psp.asset, metadata=dict(psp.metadata), raw=dict(psp.raw))
    payment = Payment(
        id=pid, connector_id=str(connector), provider=connector.provider,
        reference=psp.reference, created_at=psp.created_at, type=psp.type,
        initial_amount=psp.amount, amount=psp.amount, asset=psp.asset, scheme=psp.scheme,
        status=psp.status,
        source_account_id=ids.account_id(connector, psp.source_account_reference)
        if psp.source_account_reference else None,
        destination_account_id=ids.account_id(connector, psp.destination_account_reference)
        if psp.destination_account_reference else None,
        metadata=dict(psp.metadata))
    return payment, adjustment


def _account_of(connector: ids.ConnectorID, reference: str | None) -> str | None:
    return ids.account_id(connector, reference) if reference else None


def to_order(connector: ids.ConnectorID, psp: PSPOrder) -> tuple[Order, OrderAdjustment]:
    """The order as this provider view shows it and the adjustment the view adds. The store
    moves the order to a view only if it is not older than the one it shows (the status is
    always the latest adjustment's)."""
    oid = ids.order_id(connector, psp.reference)
    adjustment = OrderAdjustment(
        id=ids.order_adjustment_id(oid, psp.reference, psp.status.value,
                                   psp.base_quantity_filled, psp.fee),
        reference=psp.reference, created_at=psp.updated_at, status=psp.status,
        base_quantity_filled=psp.base_quantity_filled, fee=psp.fee, fee_asset=psp.fee_asset,
        metadata=dict(psp.metadata), raw=dict(psp.raw))
    order = Order(
        id=oid, connector_id=str(connector), provider=connector.provider,
        reference=psp.reference, created_at=psp.created_at, updated_at=psp.updated_at,
        direction=psp.direction, source_asset=psp.source_asset,
        destination_asset=psp.destination_asset, type=psp.type, status=psp.status,
        base_quantity_ordered=psp.base_quantity_ordered, time_in_force=psp.time_in_force,
        client_order_id=psp.client_order_id, base_quantity_filled=psp.base_quantity_filled,
        limit_price=psp.limit_price, stop_price=psp.stop_price, expires_at=psp.expires_at,
        fee=psp.fee, fee_asset=psp.fee_asset, average_fill_price=psp.average_fill_price,
        quote_amount=psp.quote_amount, quote_asset=psp.quote_asset,
        price_asset=psp.price_asset,
        source_account_id=_account_of(connector, psp.source_account_reference),
        destination_account_id=_account_of(connector, psp.destination_account_reference),
        error=psp.error, metadata=dict(psp.metadata))
    return order, adjustment


def to_conversion(connector: ids.ConnectorID, psp: PSPConversion) -> Conversion:
    return Conversion(
        id=ids.conversion_id(connector, psp.reference), connector_id=str(connector),
        provider=connector.provider, reference=psp.reference, created_at=psp.created_at,
        updated_at=psp.updated_at, source_asset=psp.source_asset,
        destination_asset=psp.destination_asset, source_amount=psp.source_amount,
        status=psp.status, destination_amount=psp.destination_amount, fee=psp.fee,
        fee_asset=psp.fee_asset,
        source_account_id=_account_of(connector, psp.source_account_reference),
        destination_account_id=_account_of(connector, psp.destination_account_reference),
        error=psp.error, metadata=dict(psp.metadata), raw=dict(psp.raw))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
