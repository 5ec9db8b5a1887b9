"""The payment service users service: PSUs, their bank accounts and connectors, and the
open-banking link flows (each a workflow that waits for the user, see
workflows/payments/link.py). What the v3 API calls; no rule lives in the routes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.errors import ValidationError
from domain.pagination import Page
from domain.payments import ids
from domain.payments import psu as psu_rules
from domain.payments.errors import (
    BankAccountNotFoundError,
    ConnectionNotFoundError,
    InvalidIDError,
    LinkAttemptNotFoundError,
    PaymentServiceUserNotFoundError,
)
from domain.payments.models import Connector, Task, TaskStatus
from domain.payments.open_banking import OPEN_BANKING_PROVIDERS
from domain.payments.ports import PaymentsStore
from domain.payments.psu import AttemptStatus, Connection, LinkAttempt, PaymentServiceUser
from domain.payments.psu_ports import OpenBankingWorkflows, PSUStore


@dataclass(frozen=True, slots=True)
class Link:
    attempt_id: str
    link: str


class PaymentServiceUsersService:
    def __init__(self, store: PSUStore, payments: PaymentsStore,
                 workflows: OpenBankingWorkflows) -> None:
        self.store = store
        self.payments = payments
        self.workflows = workflows

    # --- PSUs -------------------------------------------------------------------------------

    async def create(self, body: Any) -> PaymentServiceUser:
        user, banks = psu_rules.psu(body, str(uuid.uuid4()), datetime.now(UTC))
        for bank in banks:
            # Named in the body: an unknown one is a bad request, not a missing resource.
            try:
                await self._bank_account(bank)
            except (BankAccountNotFoundError, InvalidIDError):
                raise ValidationError(f"bankAccountIDs: bank account {bank!r} not found"
                                      ) from None
        await self.store.create_psu(user)
        for bank in banks:
            await self.store.add_bank_account(user.id, bank, user.created_at)
        return await self.psu(user.id)

    async def psu(self, psu_id: str) -> PaymentServiceUser:
        found = await self.store.get_psu(_uuid("payment service user", psu_id))
        if found is None:
            raise PaymentServiceUserNotFoundError(psu_id)
        return found

    async def psus(self, offset: int, size: int) -> Page[PaymentServiceUser]:
        return await self.store.list_psus(offset, size)

    async def delete(self, psu_id: str) -> Task:
        user = await self.psu(psu_id)
        return await self._delete(None, f"delete-psu-{user.id}", user.id, None, None)

    async def add_bank_account(self, psu_id: str, bank_account_id: str) -> None:
        user = await self.psu(psu_id)
        await self._bank_account(bank_account_id)
        await self.store.add_bank_account(user.id, bank_account_id, datetime.now(UTC))

    async def check_bank_account(self, psu_id: str, bank_account_id: str) -> None:
        """The bank account is one of the PSU's (before it is forwarded)."""
        user = await self.psu(psu_id)
        if bank_account_id not in user.bank_account_ids:
            raise ValidationError(f"bank account {bank_account_id!r} is not one of payment "
                                  f"service user {psu_id!r}'s")

    # --- connectors -------------------------------------------------------------------------

    async def forward(self, psu_id: str, connector_id: str) -> None:
        """Registers the PSU on an open-banking connector (the provider needs to know a user
        before it links the user's banks)."""
        user = await self.psu(psu_id)
        connector = await self._open_banking(connector_id)
        await self.store.add_connector(user.id, connector.id, datetime.now(UTC))

    async def remove_from_connector(self, psu_id: str, connector_id: str) -> Task:
        user, connector = await self._registered(psu_id, connector_id)
        return await self._delete(connector, f"delete-psu-connector-{user.id}", user.id,
                                  connector.id, None)

    async def connections(self, psu_id: str, connector_id: str | None, offset: int,
                          size: int) -> Page[Connection]:
        user = await self.psu(psu_id)
        if connector_id is not None:
            ids.ConnectorID.parse(connector_id)
        return await self.store.list_connections(user.id, connector_id, offset, size)

    async def delete_connection(self, psu_id: str, connector_id: str,
                                connection_id: str) -> Task:
        user, connector = await self._registered(psu_id, connector_id)
        connection = await self._connection(user.id, connector.id, connection_id)
        return await self._delete(connector, f"delete-connection-{connection.id}", user.id,
                                  connector.id, connection.id)

    # --- link flows -------------------------------------------------------------------------

    async def create_link(self, psu_id: str, connector_id: str, body: Any,
                          callback_url: str) -> Link:
        return await self._link(psu_id, connector_id, None, body, callback_url)

    async def update_link(self, psu_id: str, connector_id: str, connection_id: str, body: Any,
                          callback_url: str) -> Link:
        return await self._link(psu_id, connector_id, connection_id, body, callback_url)

    async def complete_link(self, connector_id: str, attempt_id: str) -> LinkAttempt:
        """The user came back from the provider: the attempt's workflow completes it."""
        ids.ConnectorID.parse(connector_id)
        attempt = await self.store.get_attempt(_uuid("link attempt", attempt_id))
        if attempt is None or attempt.connector_id != connector_id:
            raise LinkAttemptNotFoundError(attempt_id)
        if attempt.status is not AttemptStatus.PENDING:
            return attempt
        return await self.workflows.complete(attempt)

    async def attempts(self, psu_id: str, connector_id: str, offset: int,
                       size: int) -> Page[LinkAttempt]:
        user = await self.psu(psu_id)
        ids.ConnectorID.parse(connector_id)
        return await self.store.list_attempts(user.id, connector_id, offset, size)

    async def attempt(self, psu_id: str, connector_id: str, attempt_id: str) -> LinkAttempt:
        user = await self.psu(psu_id)
        ids.ConnectorID.parse(connector_id)
        attempt = await self.store.get_attempt(_uuid("link attempt", attempt_id))
        if attempt is None or attempt.psu_id != user.id or attempt.connector_id != connector_id:
            raise LinkAttemptNotFoundError(attempt_id)
        return attempt

    async def _link(self, psu_id: str, connector_id: str, connection_id: str | None,
                    body: Any, callback_url: str) -> Link:
        redirect = psu_rules.redirect_url(body)
        user, connector = await self._registered(psu_id, connector_id)
        if connection_id is not None:
            await self._connection(user.id, connector.id, connection_id)
        attempt = LinkAttempt(id=str(uuid.uuid4()), psu_id=user.id, connector_id=connector.id,
                              created_at=datetime.now(UTC), status=AttemptStatus.PENDING,
                              client_redirect_url=redirect, connection_id=connection_id)
        await self.store.create_attempt(attempt)
        link = await self.workflows.link(attempt, callback_url)
        return Link(attempt_id=attempt.id, link=link)

    # --- internals --------------------------------------------------------------------------

    async def _delete(self, connector: Connector | None, reference: str, psu_id: str,
                      connector_id: str | None, connection_id: str | None) -> Task:
        cid = ids.ConnectorID.parse(connector.id) if connector else None
        now = datetime.now(UTC)
        task = Task(id=ids.open_banking_task_id(cid, reference),
                    connector_id=connector.id if connector else None,
                    status=TaskStatus.PROCESSING, created_at=now, updated_at=now)
        await self.store.open_task(task)
        await self.workflows.delete(task, psu_id, connector_id, connection_id)
        return task

    async def _bank_account(self, bank_account_id: str) -> None:
        _uuid("bank account", bank_account_id)
        if await self.payments.get_bank_account(bank_account_id) is None:
            raise BankAccountNotFoundError(bank_account_id)

    async def _open_banking(self, connector_id: str) -> Connector:
        ids.ConnectorID.parse(connector_id)
        connector = await self.payments.get_connector(connector_id)
        if connector is None:
            raise ValidationError(f"connector {connector_id!r} not found")
        if connector.scheduled_for_deletion:
            raise ValidationError(f"connector {connector_id!r} is scheduled for deletion")
        if connector.provider not in OPEN_BANKING_PROVIDERS:
            raise ValidationError(f"connector {connector_id!r} ({connector.provider}) has no "
                                  "open banking")
        return connector

    async def _registered(self, psu_id: str,
                          connector_id: str) -> tuple[PaymentServiceUser, Connector]:
        user = await self.psu(psu_id)
        connector = await self._open_banking(connector_id)
        if not await self.store.has_connector(user.id, connector.id):
            raise ValidationError(f"payment service user {psu_id!r} is not forwarded to "
                                  f"connector {connector_id!r}")
        return user, connector

    async def _connection(self, psu_id: str, connector_id: str,
                          connection_id: str) -> Connection:
        connection = await self.store.get_connection(connection_id)
        if connection is None or connection.psu_id != psu_id \
                or connection.connector_id != connector_id:
            raise ConnectionNotFoundError(connection_id)
        return connection


def _uuid(kind: str, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidIDError(kind, value) from None
