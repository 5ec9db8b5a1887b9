"""The payment initiation workflows as the service's port (domain/payments/initiation_ports.py
`InitiationWorkflows`), through the app's one Temporal client. Every action is an update sent
with the workflow's start spec (update-with-start): a create whose start was lost (Temporal
down after the row was stored) is resumed by the next action instead of being stuck. The
spec's REJECT_DUPLICATE reuse policy means a closed initiation is never restarted: an action on
it is refused with the status it closed in."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request

from api.dependencies import dependencies
from domain.errors import DomainError, ValidationError
from domain.payments.initiation_requests import ReversalRequest
from domain.payments.initiations import PaymentInitiation
from domain.payments.initiations_service import PaymentInitiationsService
from storage.payments.initiations_store import PgInitiationsStore
from storage.payments.store import PgPaymentsStore
from workflows.payments.inputs import (
    APPROVE_UPDATE,
    DELETE_UPDATE,
    REJECT_UPDATE,
    RETRY_UPDATE,
    REVERSE_UPDATE,
    RetryCommand,
    ReversalRef,
    ReverseCommand,
    TaskRef,
    initiation_start,
)

T = TypeVar("T")


def initiations_service(request: Request) -> PaymentInitiationsService:
    """The service for one request (v3 and v1 routes alike)."""
    deps = dependencies(request)
    return PaymentInitiationsService(PgInitiationsStore(deps.database),
                                     PgPaymentsStore(deps.database), TemporalInitiations(request))


class TemporalInitiations:
    def __init__(self, request: Request) -> None:
        deps = dependencies(request)
        self.temporal = deps.temporal
        self.task_queue = deps.modules.payments.task_queue

    async def start(self, initiation: PaymentInitiation) -> None:
        await self.temporal.start(initiation_start(initiation), self.task_queue,
                                  unavailable="the payment initiation was stored but its "
                                              "workflow could not start; send the create "
                                              "again, or approve or reject it, to resume")

    async def approve(self, initiation: PaymentInitiation) -> str:
        return (await self._update(initiation, APPROVE_UPDATE, TaskRef, "approve")).task_id

    async def reject(self, initiation: PaymentInitiation) -> None:
        await self._update(initiation, REJECT_UPDATE, type(None), "reject")

    async def retry(self, initiation: PaymentInitiation) -> str:
        command = RetryCommand(books_status=initiation.status.value)
        return (await self._update(initiation, RETRY_UPDATE, TaskRef, "retry",
                                   command)).task_id

    async def reverse(self, initiation: PaymentInitiation,
                      request: ReversalRequest) -> tuple[str, str]:
        command = ReverseCommand(reference=request.reference, amount=request.amount,
                                 asset=request.asset, description=request.description,
                                 metadata=request.metadata,
                                 books_status=initiation.status.value)
        ref = await self._update(initiation, REVERSE_UPDATE, ReversalRef, "reverse", command)
        return ref.task_id, ref.reversal_id

    async def delete(self, initiation: PaymentInitiation) -> None:
        await self._update(initiation, DELETE_UPDATE, type(None), "delete")

    async def _update(self, initiation: PaymentInitiation, update: str, result_type: type[T],
                      action: str, *args: Any) -> T:
        gone: DomainError = ValidationError(
            f"cannot {action} a payment initiation that is {initiation.status.value}")
        return await self.temporal.update_with_start(
            initiation_start(initiation), self.task_queue, update, result_type, args=args,
            gone=gone)
