"""The API's side of the hold workflows: starting one for a new hold, and sending confirm/void
as updates. Updates go with update-with-start, so a hold whose workflow was never started (the
API lost Temporal right after the ledger write) still gets one on its first action. Policies,
search attributes and summary come from the hold's start spec; errors are mapped in
api/temporal.py."""

from __future__ import annotations

from uuid import uuid4

from fastapi import Request

from api.dependencies import dependencies
from domain.wallets.errors import HoldClosedError
from domain.wallets.models import Hold
from workflows.wallets.inputs import HoldState, hold_start, hold_workflow_id


async def start_hold_workflow(request: Request, hold: Hold) -> None:
    deps = dependencies(request)
    # False (not started) is a replayed debit whose hold workflow already exists or closed.
    await deps.temporal.start(
        hold_start(hold), deps.modules.wallets.task_queue,
        unavailable=f"the hold {hold.id} was created but its workflow could not be started; "
                    "retry with the same Idempotency-Key, or confirm/void it (that starts it)")


def _update_id(action: str, idempotency_key: str | None) -> str:
    # Temporal deduplicates updates by id within a run: a retried request with the same
    # Idempotency-Key attaches to the first one instead of acting twice.
    return f"{action}-{idempotency_key}" if idempotency_key else f"{action}-{uuid4()}"


async def act_on_hold(request: Request, hold: Hold, update: str, arg: object | None,
                      idempotency_key: str | None) -> HoldState:
    temporal = dependencies(request).temporal
    update_id = _update_id(update, idempotency_key)
    if hold.closed:
        if idempotency_key:
            # The retry of an action that closed the hold: answer as the first time.
            earlier = await temporal.update_result(hold_workflow_id(hold.id), update_id,
                                                   HoldState)
            if earlier is not None:
                return earlier
        raise HoldClosedError(hold.id)
    # A workflow that finished between our ledger read and the update: the hold is closed.
    return await temporal.update_with_start(
        hold_start(hold), dependencies(request).modules.wallets.task_queue, update, HoldState,
        args=[] if arg is None else [arg], update_id=update_id, gone=HoldClosedError(hold.id))
