"""`payment-initiation-<id>`: one workflow holds a payment initiation's whole lifecycle, from its
creation to the moment nothing more can happen to it.

- Approve, reject, retry, reverse and delete are updates. Their validators apply the domain's
  rules (domain/payments/initiations.py `Lifecycle`) to the state this workflow holds, so a
  wrong state is refused at once (400 VALIDATION) with nothing written. Handlers run one at a
  time under a lock and check again there: two updates accepted together (approve racing
  reject) cannot both win; the second is refused.
- A `scheduledAt` in the future is a durable timer (SCHEDULED_FOR_PROCESSING); a delete wakes
  it and the initiation is gone before anything was sent.
- The send is one activity per attempt, exactly once at the provider (see
  activities/payments/initiation_activities.py), spaced by the connector's send slots: the
  PROCESSING step reserves the next slot of the connector (one row per connector in
  PostgreSQL, moved one interval per send) and the workflow sleeps until it on a timer, so a
  throttled send holds no worker slot while it waits.
- A payment that is not final yet is looked at again on a timer loop here rather than by a
  Temporal Schedule: the workflow is open anyway and owns the initiation, a timer is durable
  and ends with it, and there is no schedule to find and delete afterwards.
- Every status change is an adjustment written by an activity (append-only, with its outbox
  event) and the STATUS search attribute upserted, so the Temporal UI lists initiations by
  status (WAITING_FOR_VALIDATION ones, say), connector, provider and type (KIND).
- The workflow stays open while a retry (after FAILED) or a reversal (after PROCESSED, with an
  amount left) may still come, and closes once REJECTED, deleted or fully REVERSED."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.errors import to_application_error
    from activities.payments import stubs
    from activities.payments.contracts import (
        DeleteInitiationInput,
        InitiationStep,
        PollInput,
        ReversalInput,
        ReversalOutcome,
        SendInput,
        SendOutcome,
        SendSlot,
    )
    from domain.errors import DomainError, ValidationError
    from domain.payments import ids
    from domain.payments.initiations import InitiationStatus, Lifecycle
    from domain.payments.models import TaskStatus
    from workflows import search_attributes
    from workflows.payments.inputs import (
        APPROVE_UPDATE,
        DELETE_UPDATE,
        INITIATION_WORKFLOW,
        REJECT_UPDATE,
        RETRY_UPDATE,
        REVERSE_UPDATE,
        SETTLING_SECONDS,
        InitiationInput,
        InitiationState,
        RetryCommand,
        ReversalRef,
        ReverseCommand,
        TaskRef,
    )

S = InitiationStatus
PROCESSED, PENDING = "PROCESSED", "PENDING"


@workflow.defn(name=INITIATION_WORKFLOW)
class PaymentInitiationWorkflow:
    @workflow.init
    def __init__(self, data: InitiationInput) -> None:
        self._data = data
        state = data.state or InitiationState(status=S.WAITING_FOR_VALIDATION.value)
        self._life = Lifecycle(status=S(state.status), amount=data.amount, asset=data.asset,
                               failed_attempts=state.failed_attempts,
                               reversed_amount=state.reversed_amount)
        # A reversal's id is built from its reference: the same reference twice would be the
        # same reversal counted twice.
        self._reversal_references = set(state.reversal_references)
        self._connector = ids.ConnectorID.parse(data.connector_id)
        self._lock = asyncio.Lock()
        self._work: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._closed = False
        self._deleted = False

    @workflow.run
    async def run(self, data: InitiationInput) -> str:
        self._describe()
        while True:
            await workflow.wait_condition(lambda: bool(self._work) or self._closed)
            if self._closed:
                break
            job = self._work.pop(0)
            await job()
            if (not self._work and workflow.info().is_continue_as_new_suggested()
                    and not self._lock.locked()):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._next_input())
        # An update accepted just before the close still gets its answer.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._life.status.value

    # --- updates ----------------------------------------------------------------------------

    @workflow.update(name=APPROVE_UPDATE)
    async def approve(self) -> TaskRef:
        async with self._lock:
            self._check(self._life.check_approve)
            task_id = ids.initiation_task_id(self._connector, self._data.initiation_id,
                                             self._life.attempt)
            await self._approve(task_id)
            return TaskRef(task_id=task_id)

    async def _approve(self, task_id: str) -> None:
        status = S.SCHEDULED_FOR_PROCESSING if self._until_scheduled() else S.PROCESSING
        self._set(status)
        slot = await self._step(status, open_task_id=task_id,
                                reserve_slot=status is S.PROCESSING)
        self._work.append(lambda: self._send(task_id, slot))

    @approve.validator
    def _validate_approve(self) -> None:
        self._check(self._life.check_approve)

    @workflow.update(name=REJECT_UPDATE)
    async def reject(self) -> None:
        async with self._lock:
            self._check(self._life.check_reject)
            self._set(S.REJECTED)
            await self._step(S.REJECTED)
            self._closed = True

    @reject.validator
    def _validate_reject(self) -> None:
        self._check(self._life.check_reject)

    @workflow.update(name=RETRY_UPDATE)
    async def retry(self, command: RetryCommand | None = None) -> TaskRef:
        await self._settle(command.books_status if command else None, S.FAILED)
        async with self._lock:
            self._check(self._life.check_retry)
            task_id = ids.initiation_task_id(self._connector, self._data.initiation_id,
                                             self._life.attempt)
            self._set(S.PROCESSING)
            slot = await self._step(S.PROCESSING, open_task_id=task_id, reserve_slot=True)
            self._work.append(lambda: self._send(task_id, slot))
            return TaskRef(task_id=task_id)

    @retry.validator
    def _validate_retry(self, command: RetryCommand | None = None) -> None:
        if self._settling(command.books_status if command else None, S.FAILED):
            return
        self._check(self._life.check_retry)

    @workflow.update(name=REVERSE_UPDATE)
    async def reverse(self, command: ReverseCommand) -> ReversalRef:
        await self._settle(command.books_status, S.PROCESSED)
        async with self._lock:
            self._check_reverse(command)
            self._reversal_references.add(command.reference)
            reversal_id = ids.initiation_id(self._connector, command.reference)
            task_id = ids.reversal_task_id(self._connector, reversal_id)
            self._life.reversing = True
            self._set(S.REVERSE_PROCESSING)
            reversal = ReversalInput(
                initiation_id=self._data.initiation_id, connector_id=self._data.connector_id,
                reversal_id=reversal_id, task_id=task_id, reference=command.reference,
                amount=command.amount, asset=command.asset, description=command.description,
                metadata=command.metadata, at=self._now())
            await stubs.open_reversal(reversal)
            self._work.append(lambda: self._reverse(reversal))
            return ReversalRef(task_id=task_id, reversal_id=reversal_id)

    @reverse.validator
    def _validate_reverse(self, command: ReverseCommand) -> None:
        if self._settling(command.books_status, S.PROCESSED):
            return
        self._check_reverse(command)

    def _settling(self, books_status: str | None, settled: InitiationStatus) -> bool:
        """The books already say the send settled, this workflow has not taken it in yet."""
        return self._life.status is S.PROCESSING and books_status == settled.value

    async def _settle(self, books_status: str | None, settled: InitiationStatus) -> None:
        # Only ever waits in the moment described at SETTLING_SECONDS; then the handler's own
        # check decides (a send still PROCESSING after it is refused as usual).
        if self._settling(books_status, settled):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._life.status is not S.PROCESSING,
                    timeout=timedelta(seconds=SETTLING_SECONDS),
                    timeout_summary="the send's result")

    def _check_reverse(self, command: ReverseCommand) -> None:
        def rule() -> None:
            self._life.check_reverse(command.amount, command.asset)
            if command.reference in self._reversal_references:
                raise ValidationError(f"a reversal with reference {command.reference!r} "
                                      "exists for this payment initiation")
        self._check(rule)

    @workflow.update(name=DELETE_UPDATE)
    async def delete(self) -> None:
        async with self._lock:
            self._check(self._life.check_delete)
            scheduled = self._life.status is S.SCHEDULED_FOR_PROCESSING
            # Set before the activity: the scheduled send, woken by this, must not send.
            self._deleted = True
            task_id = (ids.initiation_task_id(self._connector, self._data.initiation_id,
                                              self._life.attempt) if scheduled else None)
            await stubs.delete_initiation(DeleteInitiationInput(
                initiation_id=self._data.initiation_id, task_id=task_id))
            self._closed = True
            workflow.set_current_details("deleted")

    @delete.validator
    def _validate_delete(self) -> None:
        self._check(self._life.check_delete)

    # --- the send and the reversal ----------------------------------------------------------

    async def _send(self, task_id: str, slot: SendSlot) -> None:
        wait = self._until_scheduled()
        if wait is not None:
            # The durable timer; a delete sets _deleted and ends the wait early.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._deleted, timeout=wait,
                                              timeout_summary="scheduledAt")
            if self._deleted:
                return
            async with self._lock:
                self._set(S.PROCESSING)
                slot = await self._step(S.PROCESSING, reserve_slot=True)
        attempt = self._life.attempt
        if slot.wait_seconds > 0:
            await workflow.sleep(timedelta(seconds=slot.wait_seconds), summary="send rate")
        send = SendInput(initiation_id=self._data.initiation_id,
                         connector_id=self._data.connector_id, attempt=attempt,
                         task_id=task_id)
        try:
            outcome = await stubs.send_initiation(send)
            while outcome.outcome == PENDING:
                await workflow.sleep(timedelta(seconds=outcome.poll_interval_seconds),
                                     summary="payment not final yet")
                outcome = await stubs.poll_initiation(PollInput(payment_id=outcome.payment_id,
                                                                send=send))
        except ActivityError as exc:
            outcome = SendOutcome(payment_id="", outcome="FAILED", poll_interval_seconds=0,
                                  error=str(exc.cause.message if exc.cause is not None
                                            and hasattr(exc.cause, "message") else exc))
        async with self._lock:
            if outcome.outcome != PROCESSED:
                self._life.failed_attempts += 1
            status = S.PROCESSED if outcome.outcome == PROCESSED else S.FAILED
            self._set(status)
            if outcome.recorded:  # the activity wrote the adjustment and the task
                return
            await self._step(status, error=outcome.error, finish_task_id=task_id,
                             task_status=TaskStatus.FAILED.value)

    async def _reverse(self, reversal: ReversalInput) -> None:
        try:
            outcome = await stubs.send_reversal(reversal)
        except ActivityError as exc:
            outcome = ReversalOutcome(error=str(exc.cause or exc))
        async with self._lock:
            self._life.reversing = False
            common = {"finish_task_id": reversal.task_id, "amount": reversal.amount,
                      "asset": reversal.asset, "reversal_id": reversal.reversal_id}
            if outcome.error is None:
                self._life.reversed_amount += reversal.amount
                self._set(S.REVERSED)
                await self._step(S.REVERSED, task_status=TaskStatus.SUCCEEDED.value,
                                 created_object_id=outcome.payment_id, **common)
                if self._life.reversed_amount >= self._life.amount:
                    self._closed = True  # nothing left to reverse, nothing to retry
            else:
                self._set(S.REVERSE_FAILED)
                await self._step(S.REVERSE_FAILED, error=outcome.error,
                                 task_status=TaskStatus.FAILED.value, **common)

    # --- internals ----------------------------------------------------------------------------

    @staticmethod
    def _check(rule: Callable[[], None]) -> None:
        try:
            rule()
        except DomainError as exc:
            # Only an ApplicationError fails an update cleanly; any other exception would fail
            # the workflow task and retry it forever.
            raise to_application_error(exc) from None

    def _until_scheduled(self) -> timedelta | None:
        when = self._data.scheduled_at
        if when is None:
            return None
        left = when - workflow.now()
        return left if left > timedelta(0) else None

    def _now(self) -> str:
        return workflow.now().isoformat()

    async def _step(self, status: InitiationStatus, **fields: Any) -> SendSlot:
        return await stubs.record_initiation_step(InitiationStep(
            initiation_id=self._data.initiation_id, connector_id=self._data.connector_id,
            status=status.value, at=self._now(), **fields))

    def _set(self, status: InitiationStatus) -> None:
        self._life.status = status
        workflow.upsert_search_attributes([search_attributes.STATUS.value_set(status.value)])
        self._describe()

    def _describe(self) -> None:
        life = self._life
        reversed_part = (f", {life.reversed_amount} reversed" if life.reversed_amount else "")
        workflow.set_current_details(
            f"{life.status.value}: {self._data.type} of {life.amount} {life.asset}, attempt "
            f"{life.attempt}{reversed_part}")

    def _next_input(self) -> InitiationInput:
        return self._data.model_copy(update={"state": InitiationState(
            status=self._life.status.value, failed_attempts=self._life.failed_attempts,
            reversed_amount=self._life.reversed_amount,
            reversal_references=sorted(self._reversal_references))})
