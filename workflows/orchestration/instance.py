"""`flow-instance-<id>`: one workflow per flow instance, its stages run inside it in order.

Stages run in this workflow rather than as one child workflow each (Formance's design): an
instance is a short sequence of activities, timers and waits, so one history holds it whole;
events reach the one workflow that exists for the instance's whole life (Formance signals the
current stage's child, so an event sent before its stage starts is lost); `?wait=true` and
abort address that one workflow (Formance's address the short-lived Initiate workflow); and
the stage history comes from rows the activities write, not from walking child histories.

Events arrive through the update `event`, which acknowledges: the validator refuses an event for
a finished instance or past the buffer bound, the handler keeps the event; a `wait_event` stage
consumes the first kept event of its name, so an event sent before the stage starts counts.
The first failing stage fails the instance with its error. Abort is cancellation: the stage and
the instance are recorded as aborted, then the workflow ends cancelled."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.errors import to_application_error
    from activities.orchestration import stubs
    from activities.orchestration.contracts import InstanceRef, Outcome, StageStart
    from domain.errors import DomainError
    from domain.orchestration.errors import (
        ErrorCode,
        EventBufferFullError,
        InstanceFinishedError,
    )
    from domain.orchestration.stages import (
        NOOP,
        Delay,
        Send,
        Stage,
        Update,
        WaitEvent,
        resolve_stage,
    )
    from workflows import search_attributes
    from workflows.orchestration.inputs import (
        EVENT_UPDATE,
        INSTANCE_WORKFLOW,
        STATE_QUERY,
        EventAck,
        InstanceInput,
        InstanceState,
        InstanceStatus,
        SendEvent,
    )
    from workflows.orchestration.stage_work import (
        StageContext,
        run_delay,
        run_send,
        run_update,
        run_wait_event,
    )

ABORTED = "aborted"


@workflow.defn(name=INSTANCE_WORKFLOW)
class FlowInstanceWorkflow:
    @workflow.init
    def __init__(self, data: InstanceInput) -> None:
        self._data = data
        self._state = InstanceState()

    @workflow.run
    async def run(self, data: InstanceInput) -> InstanceState:
        ref = InstanceRef(instance_id=data.instance_id, workflow_id=data.workflow_id)
        await stubs.instance_started(ref)
        stage: int | None = None
        try:
            for index, raw in enumerate(data.stages):
                stage = index
                error = await self._stage(index, raw)
                stage = None
                if error is not None:
                    self._state.error = error
                    break
        except asyncio.CancelledError:
            # Abort: recorded like any end (new activities run after a cancellation), then the
            # workflow ends cancelled.
            self._state.error = ABORTED
            if stage is not None:
                await stubs.stage_finished(Outcome(**ref.model_dump(), stage=stage,
                                                   error=ABORTED))
            await self._finish(ref, InstanceStatus.ABORTED)
            raise
        await self._finish(ref, InstanceStatus.FAILED if self._state.error
                           else InstanceStatus.SUCCEEDED)
        if self._state.error:
            raise ApplicationError(self._state.error, type=ErrorCode.VALIDATION,
                                   non_retryable=True)
        return self._state

    async def _stage(self, index: int, raw: dict[str, object]) -> str | None:
        """Runs one stage; its error, or None."""
        self._state.stage = index
        kind = next(iter(raw), "?")
        stage: Stage | None = None
        body = raw.get(kind)
        spec: dict[str, object] = dict(body) if isinstance(body, dict) else {}
        error: str | None = None
        try:
            stage = resolve_stage(raw, index, self._data.variables)
        except DomainError as exc:  # a value the variables made invalid
            error = exc.message
        else:
            kind = stage.kind
            spec = stage.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        ref = {"instance_id": self._data.instance_id, "workflow_id": self._data.workflow_id}
        await stubs.stage_started(StageStart(**ref, stage=index, kind=kind, spec=spec))
        workflow.set_current_details(f"stage {index + 1}/{len(self._data.stages)}: {kind}")
        if stage is not None:
            try:
                await self._work(stage)
            except ActivityError as exc:
                error = _reason(exc)
            except ApplicationError as exc:  # the stage's own refusal (a payment not made)
                error = exc.message
        await stubs.stage_finished(Outcome(**ref, stage=index, error=error))
        return error

    async def _work(self, stage: Stage) -> None:
        ctx = StageContext(self._data.instance_id, stage.index, self._data.wallets_ledger,
                           self._data.payment_poll_seconds)
        spec = stage.spec
        if isinstance(spec, Send):
            await run_send(ctx, spec)
        elif isinstance(spec, Delay):
            await run_delay(spec)
        elif isinstance(spec, WaitEvent):
            self._state.waiting_for = spec.event
            await run_wait_event(spec.event, self._take)
            self._state.waiting_for = None
        elif isinstance(spec, Update):
            await run_update(ctx, spec)
        else:
            assert stage.kind == NOOP

    async def _finish(self, ref: InstanceRef, status: InstanceStatus) -> None:
        self._state.status = status
        await stubs.instance_finished(Outcome(**ref.model_dump(), error=self._state.error))
        workflow.upsert_search_attributes([search_attributes.STATUS.value_set(status.value)])
        workflow.set_current_details(status.value + (f": {self._state.error}"
                                                     if self._state.error else ""))

    # --- events -------------------------------------------------------------------------------

    def _take(self, name: str) -> bool:
        if name in self._state.pending_events:
            self._state.pending_events.remove(name)
            return True
        return False

    @workflow.update(name=EVENT_UPDATE)
    async def event(self, event: SendEvent) -> EventAck:
        consumed = self._state.waiting_for == event.name
        self._state.pending_events.append(event.name)
        return EventAck(consumed=consumed, pending=len(self._state.pending_events))

    @event.validator
    def _validate_event(self, event: SendEvent) -> None:
        # Only an ApplicationError refuses an update cleanly (anything else fails the task).
        if self._state.status is not InstanceStatus.RUNNING:
            raise to_application_error(InstanceFinishedError(self._data.instance_id))
        if len(self._state.pending_events) >= self._data.max_pending_events:
            raise to_application_error(EventBufferFullError(self._data.instance_id,
                                                self._data.max_pending_events))

    @workflow.query(name=STATE_QUERY)
    def state(self) -> InstanceState:
        return self._state


def _reason(exc: ActivityError) -> str:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or exc)
