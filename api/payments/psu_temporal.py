"""The open-banking workflows as the PSU service's port (domain/payments/psu_ports.py
`OpenBankingWorkflows`), through the app's one Temporal client."""

from __future__ import annotations

from dataclasses import replace

from fastapi import Request

from api.dependencies import dependencies
from domain.errors import ValidationError
from domain.payments.models import Task, TaskStatus
from domain.payments.psu import AttemptStatus, LinkAttempt
from domain.payments.psu_service import PaymentServiceUsersService
from storage.payments.psu_store import PgPSUStore
from storage.payments.store import PgPaymentsStore
from workflows.payments.inputs import (
    COMPLETE_LINK_UPDATE,
    LINK_UPDATE,
    AttemptRef,
    LinkRef,
    OpenBankingDeleteInput,
    link_start,
    open_banking_delete_start,
)


def psu_service(request: Request) -> PaymentServiceUsersService:
    deps = dependencies(request)
    return PaymentServiceUsersService(PgPSUStore(deps.database), PgPaymentsStore(deps.database),
                                      TemporalOpenBanking(request))


class TemporalOpenBanking:
    def __init__(self, request: Request) -> None:
        deps = dependencies(request)
        self.temporal = deps.temporal
        self.settings = deps.modules.payments
        self.payments = PgPaymentsStore(deps.database)

    async def link(self, attempt: LinkAttempt, callback_url: str) -> str:
        spec = link_start(attempt.id, attempt.psu_id, attempt.connector_id, callback_url,
                          self.settings.link_expiry)
        ref = await self.temporal.update_with_start(spec, self.settings.task_queue,
                                                    LINK_UPDATE, LinkRef)
        return ref.link

    async def complete(self, attempt: LinkAttempt) -> LinkAttempt:
        # The spec's start arguments do not matter here: REJECT_DUPLICATE never starts a
        # second run, and the attempt's run exists since its link was made.
        spec = link_start(attempt.id, attempt.psu_id, attempt.connector_id, "",
                          self.settings.link_expiry)
        ref = await self.temporal.update_with_start(
            spec, self.settings.task_queue, COMPLETE_LINK_UPDATE, AttemptRef,
            gone=ValidationError("this link attempt is over"))
        return replace(attempt, status=AttemptStatus(ref.status),
                       connection_id=ref.connection_id, error=ref.error)

    async def delete(self, task: Task, psu_id: str, connector_id: str | None,
                     connection_id: str | None) -> None:
        spec = open_banking_delete_start(OpenBankingDeleteInput(
            task_id=task.id, psu_id=psu_id, connector_id=connector_id,
            connection_id=connection_id))
        try:
            await self.temporal.start(spec, self.settings.task_queue,
                                      unavailable="the deletion could not start; retry it")
        except Exception as exc:
            await self.payments.finish_task(task.id, TaskStatus.FAILED, error=str(exc))
            raise
