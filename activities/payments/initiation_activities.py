"""The payment initiation activities: adjustments and tasks written for the workflow, the
connector's send slots, and the provider calls.

The send is exactly once per attempt: the attempt is recorded as sending before the provider
is called, with an idempotency key built from the initiation id and the attempt; a retry (this
worker's, or another's after this one was killed mid-call) calls again with the same key, so
the provider answers the payment it already made instead of making a second, and once the
payment is stored the record answers without calling at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from activities.defn import activity_defn
from activities.payments.activities import _temporal_error
from activities.payments.connectors import FACTORIES
from activities.payments.contracts import (
    DELETE_INITIATION,
    OPEN_REVERSAL,
    POLL_INITIATION,
    RECORD_INITIATION_STEP,
    SEND_INITIATION,
    SEND_REVERSAL,
    DeleteInitiationInput,
    InitiationStep,
    PollInput,
    ReversalInput,
    ReversalOutcome,
    SendInput,
    SendOutcome,
    SendSlot,
)
from domain.payments import ids
from domain.payments.errors import ConnectorNotFoundError, PaymentInitiationNotFoundError
from domain.payments.initiation_ports import InitiationsStore
from domain.payments.initiations import (
    InitiationAdjustment,
    InitiationStatus,
    Reversal,
    ReversalStatus,
)
from domain.payments.models import PaymentStatus, Task, TaskStatus
from domain.payments.plugin import PluginError, PSPInitiation, PSPReversal
from domain.payments.ports import PaymentsStore
from domain.payments.service import to_payment

PROCESSED, FAILED, PENDING = "PROCESSED", "FAILED", "PENDING"
_FAILED_PAYMENT = {PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED}


def outcome_of(status: PaymentStatus | str) -> str:
    status = PaymentStatus(status)
    if status is PaymentStatus.SUCCEEDED:
        return PROCESSED
    return FAILED if status in _FAILED_PAYMENT else PENDING


class InitiationActivities:
    def __init__(self, store: InitiationsStore, payments: PaymentsStore,
                 http: httpx.AsyncClient, *, sends_per_second: float,
                 poll_interval: timedelta) -> None:
        self.store = store
        self.payments = payments
        self.http = http
        self.sends_per_second = sends_per_second
        self.poll_interval = poll_interval

    @activity_defn(RECORD_INITIATION_STEP)
    async def record_initiation_step(self, data: InitiationStep) -> SendSlot:
        at = datetime.fromisoformat(data.at)
        status = InitiationStatus(data.status)
        adjustment = InitiationAdjustment(
            id=ids.initiation_adjustment_id(data.initiation_id, data.at, status.value),
            initiation_id=data.initiation_id, created_at=at, status=status,
            amount=data.amount, asset=data.asset, error=data.error)
        opened = finished = None
        if data.open_task_id is not None:
            opened = Task(id=data.open_task_id, connector_id=data.connector_id,
                          status=TaskStatus.PROCESSING, created_at=at, updated_at=at)
        if data.finish_task_id is not None:
            finished = Task(id=data.finish_task_id, connector_id=data.connector_id,
                            status=TaskStatus(data.task_status or TaskStatus.SUCCEEDED.value),
                            created_at=at, updated_at=at, error=data.error,
                            created_object_id=data.created_object_id)
        if data.reversal_id is not None and finished is not None:
            reversal = await self.store.get_reversal(data.reversal_id)
            if reversal is not None:
                done = (ReversalStatus.PROCESSED if status is InitiationStatus.REVERSED
                        else ReversalStatus.FAILED)
                await self.store.finish_reversal(replace(reversal, status=done,
                                                         error=data.error),
                                                 adjustment, finished)
                return SendSlot()
        await self.store.add_adjustment(adjustment, open_task=opened, finish_task=finished)
        if not data.reserve_slot:
            return SendSlot()
        # A retried activity reserves another slot: a later send, never an earlier one.
        return SendSlot(wait_seconds=await self._reserve(data.connector_id))

    async def _reserve(self, connector_id: str) -> float:
        connector = await self.payments.get_connector(connector_id)
        rate = self.sends_per_second
        own = connector.config.get("payoutsPerSecond") if connector else None
        if isinstance(own, (int, float)) and not isinstance(own, bool) and own > 0:
            rate = float(own)
        return await self.store.reserve_send_slot(connector_id, 1.0 / rate, datetime.now(UTC))

    @activity_defn(SEND_INITIATION)
    async def send_initiation(self, data: SendInput) -> SendOutcome:
        initiation = await self.store.get_initiation(data.initiation_id)
        if initiation is None:
            raise PaymentInitiationNotFoundError(data.initiation_id)
        key = f"{initiation.id}-{data.attempt}"
        sent = await self.store.begin_send(initiation.id, data.attempt, key, datetime.now(UTC))
        if sent is not None:  # stored by an attempt whose completion was lost
            return await self._settled(data, sent)
        connector = await self.payments.get_connector(initiation.connector_id)
        if connector is None or connector.scheduled_for_deletion:
            raise ConnectorNotFoundError(initiation.connector_id)
        request = PSPInitiation(
            idempotency_key=key, type=initiation.type.value, amount=initiation.amount,
            asset=initiation.asset,
            destination_account_reference=await self._reference(
                initiation.destination_account_id),
            source_account_reference=await self._reference(initiation.source_account_id),
            description=initiation.description, metadata=dict(initiation.metadata))
        plugin = FACTORIES[connector.provider](connector.config, self.http)
        try:
            created = await plugin.create_initiation(request)
        except PluginError as exc:
            raise _temporal_error(exc) from exc
        finally:
            await plugin.close()
        payment, adjustment = to_payment(ids.ConnectorID.parse(connector.id), created)
        await self.store.finish_send(initiation.id, data.attempt, payment, adjustment)
        return await self._settled(data, payment.id)

    @activity_defn(POLL_INITIATION)
    async def poll_initiation(self, data: PollInput) -> SendOutcome:
        return await self._settled(data.send, data.payment_id)

    async def _settled(self, send: SendInput, payment_id: str) -> SendOutcome:
        """The outcome of the attempt's payment; a final one recorded (the adjustment's id is
        the attempt's and the status's, so a retry writes it once)."""
        result = self._result(payment_id, await self.payments_status(payment_id))
        if result.outcome == PENDING:
            return result
        now = datetime.now(UTC)
        status = InitiationStatus(result.outcome)
        done = TaskStatus.SUCCEEDED if status is InitiationStatus.PROCESSED else TaskStatus.FAILED
        await self.store.add_adjustment(
            InitiationAdjustment(
                id=ids.attempt_adjustment_id(send.initiation_id, send.attempt, status.value),
                initiation_id=send.initiation_id, created_at=now, status=status,
                error=result.error),
            finish_task=Task(id=send.task_id, connector_id=send.connector_id, status=done,
                             created_at=now, updated_at=now, error=result.error,
                             created_object_id=payment_id))
        return result.model_copy(update={"recorded": True})

    async def payments_status(self, payment_id: str) -> PaymentStatus:
        status = await self.store.payment_status(payment_id)
        return PaymentStatus(status) if status is not None else PaymentStatus.PENDING

    def _result(self, payment_id: str, status: PaymentStatus) -> SendOutcome:
        outcome = outcome_of(status)
        return SendOutcome(
            payment_id=payment_id, outcome=outcome,
            poll_interval_seconds=self.poll_interval.total_seconds(),
            error=f"the provider's payment is {status.value}" if outcome == FAILED else None)

    async def _reference(self, account_id: str | None) -> str | None:
        if account_id is None:
            return None
        account = await self.payments.get_account(account_id)
        return account.reference if account is not None else None

    @activity_defn(OPEN_REVERSAL)
    async def open_reversal(self, data: ReversalInput) -> None:
        at = datetime.fromisoformat(data.at)
        reversal = Reversal(id=data.reversal_id, initiation_id=data.initiation_id,
                            connector_id=data.connector_id, reference=data.reference,
                            created_at=at, amount=data.amount, asset=data.asset,
                            status=ReversalStatus.PROCESSING, description=data.description,
                            metadata=dict(data.metadata))
        adjustment = InitiationAdjustment(
            id=ids.initiation_adjustment_id(data.initiation_id, data.at,
                                            InitiationStatus.REVERSE_PROCESSING.value),
            initiation_id=data.initiation_id, created_at=at,
            status=InitiationStatus.REVERSE_PROCESSING, amount=data.amount, asset=data.asset,
            metadata=dict(data.metadata))
        task = Task(id=data.task_id, connector_id=data.connector_id,
                    status=TaskStatus.PROCESSING, created_at=at, updated_at=at)
        await self.store.create_reversal(reversal, adjustment, task)

    @activity_defn(SEND_REVERSAL)
    async def send_reversal(self, data: ReversalInput) -> ReversalOutcome:
        """The provider's refund, stored and linked; a provider refusal is the outcome's error
        (the workflow records REVERSE_FAILED), a transient failure is retried."""
        initiation = await self.store.get_initiation(data.initiation_id)
        if initiation is None:
            raise PaymentInitiationNotFoundError(data.initiation_id)
        connector = await self.payments.get_connector(initiation.connector_id)
        if connector is None or connector.scheduled_for_deletion:
            raise ConnectorNotFoundError(initiation.connector_id)
        related = await self.store.list_related_payments(initiation.id, 0, 1)
        plugin = FACTORIES[connector.provider](connector.config, self.http)
        try:
            refund = await plugin.reverse_initiation(PSPReversal(
                idempotency_key=data.reversal_id, type=initiation.type.value,
                payment_reference=related.data[0].reference if related.data else "",
                amount=data.amount, asset=data.asset, description=data.description,
                metadata=dict(data.metadata)))
        except PluginError as exc:
            if exc.kind.value == "NON_RETRYABLE":
                return ReversalOutcome(error=exc.message)
            raise _temporal_error(exc) from exc
        finally:
            await plugin.close()
        payment, adjustment = to_payment(ids.ConnectorID.parse(connector.id), refund)
        # Stored and linked as a related payment (attempt 0: no send record to mark; the
        # reversal's id is the provider's idempotency key).
        await self.store.finish_send(initiation.id, 0, payment, adjustment)
        return ReversalOutcome(payment_id=payment.id)

    @activity_defn(DELETE_INITIATION)
    async def delete_initiation(self, data: DeleteInitiationInput) -> None:
        await self.store.delete_initiation(data.initiation_id, data.task_id)

    def all(self) -> list[Callable[..., Any]]:
        return [self.record_initiation_step, self.send_initiation,
                self.poll_initiation, self.open_reversal, self.send_reversal,
                self.delete_initiation]
