"""`hold-<id>`: one workflow per hold. Confirm and void are updates, validated before they are
accepted and run one at a time under a lock, so two concurrent actions on one hold cannot both
move its money: the second sees the hold closed (or with less remaining) and is refused. An
optional timer voids the hold when it expires. The workflow ends when the hold is closed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.errors import to_application_error
    from activities.wallets import stubs
    from activities.wallets.contracts import HoldBalance, ReturnHoldInput, SettleHoldInput
    from domain.errors import DomainError
    from domain.wallets.errors import ErrorCode
    from domain.wallets.service import plan_confirmation, plan_void
    from workflows import search_attributes
    from workflows.wallets.inputs import (
        CONFIRM_UPDATE,
        HOLD_WORKFLOW,
        STATE_QUERY,
        VOID_UPDATE,
        ConfirmHold,
        HoldState,
        HoldStatus,
        HoldWorkflowInput,
    )


@workflow.defn(name=HOLD_WORKFLOW)
class HoldWorkflow:
    @workflow.init
    def __init__(self, data: HoldWorkflowInput) -> None:
        self._state = HoldState(
            hold_id=data.hold_id, wallet_id=data.wallet_id, asset=data.asset,
            status=HoldStatus.OPEN if data.remaining > 0 else HoldStatus.CONFIRMED,
            original_amount=data.original_amount, remaining=data.remaining,
            expires_at=data.expires_at,
        )
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, data: HoldWorkflowInput) -> HoldState:
        self._describe()
        if data.expires_at is None:
            await workflow.wait_condition(self._closed)
        else:
            delay = data.expires_at - workflow.now()
            try:
                if delay > timedelta(0):
                    await workflow.wait_condition(self._closed, timeout=delay,
                                                  timeout_summary="hold expiry")
                else:
                    raise TimeoutError
            except TimeoutError:
                async with self._lock:
                    if not self._closed():
                        await self._void(HoldStatus.EXPIRED, quiet=True)
        # An update accepted just before the hold closed still gets its answer.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.query(name=STATE_QUERY)
    def state(self) -> HoldState:
        return self._state

    @workflow.update(name=CONFIRM_UPDATE)
    async def confirm(self, command: ConfirmHold) -> HoldState:
        async with self._lock:
            # Re-checked under the lock: the state may have changed since validation.
            to_destination, to_wallet = self._plan_confirm(command)
            balance = await self._act(stubs.settle_hold(SettleHoldInput(
                hold_id=self._state.hold_id, to_destination=to_destination,
                to_wallet=to_wallet, idempotency_key=self._next_key("confirm"),
            )))
            self._state.remaining = balance.remaining
            if balance.remaining == 0:
                self._close(HoldStatus.CONFIRMED)
            self._describe()
            return self._state

    @confirm.validator
    def _validate_confirm(self, command: ConfirmHold) -> None:
        self._plan_confirm(command)

    @workflow.update(name=VOID_UPDATE)
    async def void(self) -> HoldState:
        async with self._lock:
            await self._void(HoldStatus.VOIDED)
            return self._state

    @void.validator
    def _validate_void(self) -> None:
        self._plan_void()

    # --- internals -------------------------------------------------------------------------

    def _closed(self) -> bool:
        return self._state.status is not HoldStatus.OPEN

    def _plan_confirm(self, command: ConfirmHold) -> tuple[int, int]:
        try:
            return plan_confirmation(self._state.hold_id, self._state.remaining, command.amount,
                                     command.final)
        except DomainError as exc:
            # Only an ApplicationError fails an update cleanly; any other exception would fail
            # the workflow task and retry it forever.
            raise to_application_error(exc) from None

    def _plan_void(self) -> int:
        remaining = 0 if self._closed() else self._state.remaining
        try:
            return plan_void(self._state.hold_id, remaining)
        except DomainError as exc:
            # Only an ApplicationError fails an update cleanly; any other exception would fail
            # the workflow task and retry it forever.
            raise to_application_error(exc) from None

    async def _void(self, status: HoldStatus, *, quiet: bool = False) -> None:
        amount = self._plan_void()
        try:
            balance = await self._act(stubs.return_hold(ReturnHoldInput(
                hold_id=self._state.hold_id, amount=amount,
                idempotency_key=self._next_key("void"),
            )))
        except ApplicationError:
            if not quiet:
                raise
            # The expiry found nothing to return (the money left the hold another way).
            balance = HoldBalance(remaining=0)
        self._state.remaining = balance.remaining
        self._close(status)
        self._describe()

    async def _act(self, call: object) -> HoldBalance:
        assert asyncio.iscoroutine(call)
        self._state.actions += 1
        try:
            result: HoldBalance = await call
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError):
                if cause.type == ErrorCode.HOLD_CLOSED:  # the ledger says the money is gone
                    self._state.remaining = 0
                    self._close(HoldStatus.CONFIRMED)
                raise ApplicationError(cause.message, type=cause.type,
                                       non_retryable=True) from None
            raise
        return result

    def _next_key(self, action: str) -> str:
        # Business identity of this action: the hold, this workflow chain and the action's rank.
        # An activity retry reuses it, so the ledger replays instead of posting twice.
        chain = workflow.info().first_execution_run_id
        return f"hold/{self._state.hold_id}/{chain}/{self._state.actions}/{action}"

    def _close(self, status: HoldStatus) -> None:
        if self._closed():
            return
        self._state.status = status
        workflow.upsert_search_attributes([search_attributes.STATUS.value_set(status.value)])

    def _describe(self) -> None:
        s = self._state
        workflow.set_current_details(
            f"{s.status.value}: {s.remaining} of {s.original_amount} {s.asset} remaining"
        )
