"""The API's side of the hold workflows: starting one for a new hold, and sending confirm/void
as updates. Updates go with update-with-start, so a hold whose workflow was never started (the
API lost Temporal right after the ledger write) still gets one on its first action."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any
from uuid import uuid4

from fastapi import Request
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.temporal import TemporalUnavailableError, temporal_client
from domain.errors import DomainError
from domain.wallets.errors import HoldClosedError
from domain.wallets.models import Hold
from workflows import search_attributes, task_queues
from workflows.wallets.inputs import (
    HOLD_WORKFLOW,
    HoldState,
    HoldStatus,
    HoldWorkflowInput,
    hold_workflow_id,
)

log = logging.getLogger("ledgerflow.api.wallets")




class HoldActionError(DomainError):
    """A hold workflow refused an action; carries the wallets code the workflow gave."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _task_queue(request: Request) -> str:
    return str(getattr(request.app.state, "wallets_task_queue", task_queues.WALLETS))


def _start_options(request: Request, hold: Hold) -> dict[str, Any]:
    return {
        "id": hold_workflow_id(hold.id),
        "task_queue": _task_queue(request),
        # A running hold workflow is reused (a retried debit, a second action); a finished one
        # means the hold is closed, unless it failed or was terminated: then a new run resumes
        # the hold from the ledger.
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        "search_attributes": TypedSearchAttributes([
            SearchAttributePair(search_attributes.WALLET_ID, hold.wallet_id),
            SearchAttributePair(search_attributes.STATUS, HoldStatus.OPEN.value),
        ]),
        "static_summary": f"Hold of {hold.original_amount} {hold.asset} on wallet "
                          f"{hold.wallet_id}",
        "static_details": f"hold {hold.id}; confirm and void are updates"
                          + (f"; expires at {hold.expires_at.isoformat()}"
                             if hold.expires_at else ""),
    }


def _input(hold: Hold) -> HoldWorkflowInput:
    return HoldWorkflowInput(hold_id=hold.id, wallet_id=hold.wallet_id, asset=hold.asset,
                             original_amount=hold.original_amount, remaining=hold.remaining,
                             expires_at=hold.expires_at)


async def start_hold_workflow(request: Request, hold: Hold) -> None:
    client = await temporal_client(request)
    try:
        await client.start_workflow(HOLD_WORKFLOW, _input(hold), **_start_options(request, hold))
    except WorkflowAlreadyStartedError:
        pass  # a replayed debit whose hold already closed: nothing to start
    except RPCError as exc:
        raise TemporalUnavailableError(
            f"the hold {hold.id} was created but its workflow could not be started ({exc}); "
            "retry with the same Idempotency-Key, or confirm/void it (that starts it)"
        ) from exc


def _update_id(action: str, idempotency_key: str | None) -> str:
    # Temporal deduplicates updates by id within a run: a retried request with the same
    # Idempotency-Key attaches to the first one instead of acting twice.
    return f"{action}-{idempotency_key}" if idempotency_key else f"{action}-{uuid4()}"


async def act_on_hold(request: Request, hold: Hold, update: str, arg: object | None,
                      idempotency_key: str | None) -> HoldState:
    client = await temporal_client(request)
    update_id = _update_id(update, idempotency_key)
    if hold.closed:
        if idempotency_key:
            # The retry of an action that closed the hold: answer as the first time.
            earlier = await _earlier_outcome(client, hold, update_id)
            if earlier is not None:
                return earlier
        raise HoldClosedError(hold.id)
    operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        HOLD_WORKFLOW, _input(hold), **_start_options(request, hold))
    args: list[object] = [] if arg is None else [arg]
    try:
        result: HoldState = await client.execute_update_with_start_workflow(
            update, args=args, start_workflow_operation=operation, id=update_id,
            result_type=HoldState,
        )
        return result
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type:
            raise HoldActionError(cause.type, cause.message) from None
        raise
    except WorkflowAlreadyStartedError:
        # The workflow finished between our ledger read and the update: the hold is closed.
        raise HoldClosedError(hold.id) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION,
                          RPCStatusCode.ALREADY_EXISTS):
            raise HoldClosedError(hold.id) from None
        raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc


async def _earlier_outcome(client: Client, hold: Hold, update_id: str) -> HoldState | None:
    handle = client.get_workflow_handle(hold_workflow_id(hold.id))
    with contextlib.suppress(RPCError, WorkflowUpdateFailedError):
        state: HoldState = await handle.get_update_handle(
            update_id, result_type=HoldState).result(rpc_timeout=timedelta(seconds=5))
        return state
    return None
