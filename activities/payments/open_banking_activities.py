"""The open-banking activities: a link asked of the provider, the attempt completed (its
connection saved) or exited when the user is back or the link expired, and the deletions of a
PSU's connections, registrations or of the PSU itself, each finishing its task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import httpx

from activities.defn import activity_defn
from activities.payments.activities import _temporal_error
from activities.payments.connectors import FACTORIES
from activities.payments.contracts import (
    COMPLETE_LINK,
    CREATE_LINK,
    DELETE_OPEN_BANKING,
    EXPIRE_LINK,
    AttemptOutcome,
    DeleteOpenBankingInput,
    LinkInput,
    LinkOutput,
)
from domain.errors import ValidationError
from domain.payments.errors import ConnectorNotFoundError, LinkAttemptNotFoundError
from domain.payments.models import TaskStatus
from domain.payments.open_banking import OPEN_BANKING_PROVIDERS, OpenBankingPlugin
from domain.payments.plugin import FailureKind, PluginError
from domain.payments.ports import PaymentsStore
from domain.payments.psu import AttemptStatus, Connection, ConnectionStatus, LinkAttempt
from domain.payments.psu_ports import PSUStore


class OpenBankingActivities:
    def __init__(self, store: PSUStore, payments: PaymentsStore,
                 http: httpx.AsyncClient) -> None:
        self.store = store
        self.payments = payments
        self.http = http

    @activity_defn(CREATE_LINK)
    async def create_link(self, data: LinkInput) -> LinkOutput:
        attempt = await self._attempt(data.attempt_id)
        plugin = await self._plugin(attempt.connector_id)
        try:
            link = await plugin.create_link(attempt, data.callback_url)
        except PluginError as exc:
            raise _temporal_error(exc) from exc
        await self.store.set_link(attempt.id, link)
        return LinkOutput(link=link)

    @activity_defn(COMPLETE_LINK)
    async def complete_link(self, data: LinkInput) -> AttemptOutcome:
        attempt = await self._attempt(data.attempt_id)
        plugin = await self._plugin(attempt.connector_id)
        now = datetime.now(UTC)
        try:
            reference = await plugin.complete_link(attempt)
        except PluginError as exc:
            if exc.kind is not FailureKind.NON_RETRYABLE:
                raise _temporal_error(exc) from exc
            # The provider says the link failed: the attempt exits with its message.
            done = await self.store.finish_attempt(
                replace(attempt, status=AttemptStatus.EXITED, error=exc.message), None)
            return _outcome(done)
        connection = Connection(id=reference, psu_id=attempt.psu_id,
                                connector_id=attempt.connector_id, created_at=now,
                                data_updated_at=now, status=ConnectionStatus.ACTIVE)
        done = await self.store.finish_attempt(
            replace(attempt, status=AttemptStatus.COMPLETED, connection_id=reference),
            connection)
        return _outcome(done)

    @activity_defn(EXPIRE_LINK)
    async def expire_link(self, data: LinkInput) -> AttemptOutcome:
        attempt = await self._attempt(data.attempt_id)
        done = await self.store.finish_attempt(
            replace(attempt, status=AttemptStatus.EXITED,
                    error="the link expired before the user came back"), None)
        return _outcome(done)

    @activity_defn(DELETE_OPEN_BANKING)
    async def delete_open_banking(self, data: DeleteOpenBankingInput) -> None:
        # Each step is idempotent: a retry deletes nothing more and finishes the same task.
        await self.store.delete_open_banking(data.psu_id, data.connector_id, data.connection_id)
        await self.payments.finish_task(data.task_id, TaskStatus.SUCCEEDED)

    async def _attempt(self, attempt_id: str) -> LinkAttempt:
        attempt = await self.store.get_attempt(attempt_id)
        if attempt is None:
            raise LinkAttemptNotFoundError(attempt_id)
        return attempt

    async def _plugin(self, connector_id: str) -> OpenBankingPlugin:
        connector = await self.payments.get_connector(connector_id)
        if connector is None or connector.scheduled_for_deletion:
            raise ConnectorNotFoundError(connector_id)
        if connector.provider not in OPEN_BANKING_PROVIDERS:
            raise ValidationError(f"connector {connector_id!r} has no open banking")
        return cast(OpenBankingPlugin, FACTORIES[connector.provider](connector.config,
                                                                     self.http))

    def all(self) -> list[Callable[..., Any]]:
        return [self.create_link, self.complete_link, self.expire_link,
                self.delete_open_banking]


def _outcome(attempt: LinkAttempt) -> AttemptOutcome:
    return AttemptOutcome(status=attempt.status.value, connection_id=attempt.connection_id,
                          error=attempt.error)

