"""The payment initiations service: what the v3 API (and the v1 transfer initiations built on
it) call. Requests are checked and stored here; every change of an existing initiation is an
update of its workflow, which alone decides (domain/payments/initiations.py `Lifecycle`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.errors import ConflictError, DomainError, ValidationError
from domain.pagination import Page
from domain.payments import ids, initiation_requests
from domain.payments.errors import PaymentInitiationNotFoundError
from domain.payments.initiation_ports import InitiationsStore, InitiationWorkflows
from domain.payments.initiations import (
    InitiationAdjustment,
    InitiationStatus,
    InitiationType,
    PaymentInitiation,
)
from domain.payments.models import Capability, Payment
from domain.payments.ports import PaymentsStore
from domain.payments.registry import provider

# Which capability each initiation type needs of its connector.
CAPABILITY = {InitiationType.TRANSFER: Capability.CREATE_TRANSFER,
              InitiationType.PAYOUT: Capability.CREATE_PAYOUT}


@dataclass(frozen=True, slots=True)
class Created:
    initiation_id: str
    task_id: str | None  # set when it was sent at once (noValidation)


@dataclass(frozen=True, slots=True)
class ReversalStarted:
    reversal_id: str
    task_id: str


class PaymentInitiationsService:
    def __init__(self, store: InitiationsStore, payments: PaymentsStore,
                 workflows: InitiationWorkflows) -> None:
        self.store = store
        self.payments = payments
        self.workflows = workflows

    async def create(self, body: Any, *, no_validation: bool = False) -> Created:
        now = datetime.now(UTC)
        request = initiation_requests.initiation(body, now)
        connector = await self.payments.get_connector(str(request.connector))
        if connector is None:
            raise ValidationError(f"connectorID: connector {str(request.connector)!r} not found")
        if connector.scheduled_for_deletion:
            raise ValidationError(f"connector {connector.id!r} is scheduled for deletion")
        capability = CAPABILITY[request.type]
        if capability not in provider(connector.provider).capabilities:
            raise ValidationError(f"connector {connector.id!r} ({connector.provider}) does not "
                                  f"allow {capability.value}")
        for field, account_id in (("sourceAccountID", request.source_account_id),
                                  ("destinationAccountID", request.destination_account_id)):
            if account_id is None:
                continue
            account = await self.payments.get_account(account_id)
            if account is None or account.connector_id != connector.id:
                raise ValidationError(f"{field}: account {account_id} is not an account of "
                                      f"connector {connector.id}")
        initiation_id = ids.initiation_id(request.connector, request.reference)
        wanted = PaymentInitiation(
            id=initiation_id, connector_id=connector.id, provider=connector.provider,
            reference=request.reference, created_at=now, type=request.type,
            amount=request.amount, asset=request.asset,
            status=InitiationStatus.WAITING_FOR_VALIDATION,
            destination_account_id=request.destination_account_id,
            source_account_id=request.source_account_id, scheduled_at=request.scheduled_at,
            description=request.description, metadata=request.metadata)
        first = InitiationAdjustment(
            id=ids.initiation_adjustment_id(initiation_id, _iso(now),
                                            InitiationStatus.WAITING_FOR_VALIDATION.value),
            initiation_id=initiation_id, created_at=now,
            status=InitiationStatus.WAITING_FOR_VALIDATION)
        stored = await self.store.create_initiation(wanted, first)
        if not _same_request(stored, wanted):
            raise ConflictError(f"a payment initiation with reference {request.reference!r} "
                                "already exists on this connector with other values")
        # A create sent again (same reference, same values) is the same initiation: its
        # workflow is started if its start was lost (the id policy keeps a running one), and
        # approved only while it still waits.
        if not (no_validation and stored.status is InitiationStatus.WAITING_FOR_VALIDATION):
            await self.workflows.start(stored)
            return Created(initiation_id=stored.id, task_id=None)
        # noValidation: started and approved in one call (update-with-start), answered once
        # the workflow has recorded the approval, so the initiation reads as approved at once.
        try:
            return Created(initiation_id=stored.id,
                           task_id=await self.workflows.approve(stored))
        except DomainError as exc:
            if exc.code != ValidationError.code:
                raise
            # A create sent twice at once: the other one's approval won; its send's task is
            # the answer.
            return Created(initiation_id=stored.id, task_id=ids.initiation_task_id(
                request.connector, stored.id, 1))

    async def initiation(self, initiation_id: str) -> PaymentInitiation:
        ids.check_initiation_id(initiation_id)
        found = await self.store.get_initiation(initiation_id)
        if found is None:
            raise PaymentInitiationNotFoundError(initiation_id)
        return found

    async def initiations(self, filters: dict[str, str], offset: int,
                          size: int) -> Page[PaymentInitiation]:
        return await self.store.list_initiations(filters, offset, size)

    async def adjustments(self, initiation_id: str, offset: int,
                          size: int) -> Page[InitiationAdjustment]:
        await self.initiation(initiation_id)
        return await self.store.list_adjustments(initiation_id, offset, size)

    async def related_payments(self, initiation_id: str, offset: int,
                               size: int) -> Page[Payment]:
        await self.initiation(initiation_id)
        return await self.store.list_related_payments(initiation_id, offset, size)

    async def approve(self, initiation_id: str) -> str:
        """The send's task id."""
        return await self.workflows.approve(await self.initiation(initiation_id))

    async def reject(self, initiation_id: str) -> None:
        await self.workflows.reject(await self.initiation(initiation_id))

    async def retry(self, initiation_id: str) -> str:
        return await self.workflows.retry(await self.initiation(initiation_id))

    async def reverse(self, initiation_id: str, body: Any) -> ReversalStarted:
        initiation = await self.initiation(initiation_id)
        request = initiation_requests.reversal(body)
        task_id, reversal_id = await self.workflows.reverse(initiation, request)
        return ReversalStarted(reversal_id=reversal_id, task_id=task_id)

    async def delete(self, initiation_id: str) -> None:
        await self.workflows.delete(await self.initiation(initiation_id))


def _same_request(stored: PaymentInitiation, wanted: PaymentInitiation) -> bool:
    return (stored.type, stored.amount, stored.asset, stored.source_account_id,
            stored.destination_account_id, stored.scheduled_at, stored.description,
            stored.metadata) == (wanted.type, wanted.amount, wanted.asset,
                                 wanted.source_account_id, wanted.destination_account_id,
                                 wanted.scheduled_at, wanted.description, wanted.metadata)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
