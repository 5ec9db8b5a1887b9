"""The API's one Temporal client, and the one way API code starts, updates, queries and stops a
module's workflows.

The client connects on first use (a module's other routes work without Temporal) and is shared
by every module and by the health checks, so one process holds one connection. Each call takes
a start spec (workflows/start.py: id, policies, search attributes, summary, chosen once by the
module's workflows/<m>/inputs.py) and the module's task queue (config/<m>.py), and turns
Temporal's errors into Formance errors here, once:
- a workflow (or an update) refused with a typed ApplicationError: that code and message
  (WorkflowRefusedError), as the module's activities and workflows raised it;
- the workflow is gone (finished, unknown) where the caller gave a `gone` error: that error;
- anything else from the server, or no server: 503 (TemporalUnavailableError)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any, NoReturn, TypeVar

from fastapi import Request
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.availability import ServiceUnavailableError
from domain.errors import DomainError
from workflows.client import connect
from workflows.start import StartSpec, start_options

log = logging.getLogger("ledgerflow.api.temporal")

T = TypeVar("T")

_POLLER_SEEN_WITHIN_S = 90

# What the server answers when the workflow a call targets is closed or does not exist.
_GONE = (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION,
         RPCStatusCode.ALREADY_EXISTS)


class TemporalUnavailableError(ServiceUnavailableError):
    """Temporal did not answer: a 503 that says retry, with the code and the one log line of
    every other unavailable dependency (api/errors.py), never a business refusal."""

    default_message = "temporal unavailable, retry"


class WorkflowRefusedError(DomainError):
    """A workflow or one of its updates refused the call with a business error: carries the
    module's code (its ErrorCode member) as the workflow gave it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Temporal:
    """Built once at startup (api/dependencies.py)."""

    def __init__(self, address: str, namespace: str) -> None:
        self.address = address
        self.namespace = namespace
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await connect(self.address, self.namespace)
                except Exception as exc:  # an unreachable server is a clear 503, not a 500
                    raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc
        return self._client

    # --- workflows --------------------------------------------------------------------------

    async def start(self, spec: StartSpec, task_queue: str, *,
                    unavailable: str | None = None) -> bool:
        """Starts the workflow; False when the spec's id policy kept an existing run instead."""
        client = await self.client()
        with _mapped(unavailable=unavailable):
            try:
                await client.start_workflow(spec.workflow, spec.arg,
                                            **start_options(spec, task_queue))
            except WorkflowAlreadyStartedError:
                return False
        return True

    async def execute(self, spec: StartSpec, task_queue: str, result_type: type[T]) -> T:
        """Starts the workflow and waits for its result."""
        client = await self.client()
        with _mapped():
            result: T = await client.execute_workflow(
                spec.workflow, spec.arg, result_type=result_type,
                **start_options(spec, task_queue))
            return result

    async def update_with_start(self, spec: StartSpec, task_queue: str, update: str,
                                result_type: type[T], *, args: Sequence[Any] = (),
                                update_id: str | None = None,
                                gone: DomainError | None = None) -> T:
        """Sends the update, starting the workflow first (from its spec) when no run is open, so
        a process whose workflow was lost resumes on its next action."""
        client = await self.client()
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            spec.workflow, spec.arg, **start_options(spec, task_queue))
        try:
            with _mapped(gone=gone):
                result: T = await client.execute_update_with_start_workflow(
                    update, args=list(args), start_workflow_operation=operation, id=update_id,
                    result_type=result_type)
                return result
        except BaseException:
            # The SDK also sets the error on the operation's handle future; unread, asyncio
            # logged it as "Future exception was never retrieved" with a traceback for every
            # call that failed while Temporal was away (found by `make chaos temporal`).
            with contextlib.suppress(BaseException):
                await operation.workflow_handle()
            raise

    async def update_result(self, workflow_id: str, update_id: str, result_type: type[T]
                            ) -> T | None:
        """The outcome of an update sent earlier, if the workflow still has it."""
        handle = (await self.client()).get_workflow_handle(workflow_id)
        try:
            result: T = await handle.get_update_handle(update_id, result_type=result_type) \
                .result(rpc_timeout=timedelta(seconds=5))
            return result
        except WorkflowUpdateFailedError:
            return None
        except RPCError as exc:
            # Only "no such update" means there is no earlier outcome. Temporal unreachable
            # must stay a 503: answered as "no result", a retried confirm whose first attempt
            # had closed the hold was refused HOLD_CLOSED (found by `make chaos temporal`).
            if exc.status in _GONE:
                return None
            raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc
        except RPCTimeoutOrCancelledError as exc:
            raise TemporalUnavailableError(f"Temporal did not answer in time: {exc}") from exc

    async def terminate(self, workflow_ids: Sequence[str], reason: str) -> None:
        """Terminates what is still running; a closed or unknown workflow is nothing to do."""
        client = await self.client()
        await asyncio.gather(*(self._quietly(client.get_workflow_handle(w).terminate(
            reason=reason), w) for w in workflow_ids))

    async def cancel(self, workflow_ids: Sequence[str]) -> None:
        client = await self.client()
        await asyncio.gather(*(self._quietly(client.get_workflow_handle(w).cancel(), w)
                               for w in workflow_ids))

    @staticmethod
    async def _quietly(call: Any, workflow_id: str) -> None:
        try:
            await call
        except RPCError as exc:  # finished or unknown: nothing left to stop
            log.debug("workflow %s not stopped: %s", workflow_id, exc)

    # --- health ----------------------------------------------------------------------------

    async def check(self) -> None:
        """Raises unless the frontend answers SERVING."""
        ok = await (await self.client()).service_client.check_health(
            timeout=timedelta(seconds=2))
        if not ok:
            raise RuntimeError("the frontend reports NOT_SERVING")

    async def pollers(self, task_queue: str) -> int:
        """Workers polling the queue for workflow tasks right now (DescribeTaskQueue)."""
        client = await self.client()
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            timeout=timedelta(seconds=2))
        # The server lists pollers seen in the last minutes; a live worker polls again at least
        # once per long poll (about a minute), so older ones are workers gone.
        recent = time.time() - _POLLER_SEEN_WITHIN_S
        return sum(1 for p in response.pollers
                   if not p.HasField("last_access_time")
                   or p.last_access_time.ToSeconds() >= recent)


async def temporal_client(request: Request) -> Client:
    """The app's one client, connecting if needed (a route that must not act while Temporal is
    down calls this first). The Temporal instance is the one api/dependencies.py built."""
    temporal: Temporal = request.app.state.dependencies.temporal
    return await temporal.client()


@contextlib.contextmanager
def _mapped(*, gone: DomainError | None = None, unavailable: str | None = None
            ) -> Iterator[None]:
    try:
        yield
    except (WorkflowUpdateFailedError, WorkflowFailureError) as exc:
        _refused(exc)
    except WorkflowAlreadyStartedError:
        if gone is None:
            raise
        raise gone from None
    except RPCError as exc:
        if gone is not None and exc.status in _GONE:
            raise gone from None
        raise TemporalUnavailableError(
            f"{unavailable} ({exc})" if unavailable else f"Temporal is unreachable: {exc}"
        ) from exc
    except RPCTimeoutOrCancelledError as exc:
        # An update no worker completed within its RPC bound (the worker was killed and its
        # replacement not yet polling): a retryable 503, not a 500 (found by `make chaos`).
        raise TemporalUnavailableError(
            "no worker answered in time (the update may or may not have been applied), "
            f"retry: {exc}") from exc


def _refused(exc: WorkflowUpdateFailedError | WorkflowFailureError) -> NoReturn:
    cause: BaseException | None = exc.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = getattr(cause, "cause", None)  # an activity's business error, under the
        # ActivityError that a workflow let through
    # Business refusals are final (activities/errors.py); anything retryable that still ended
    # the workflow is an internal failure, whatever exception type it carries.
    if isinstance(cause, ApplicationError) and cause.type and cause.non_retryable:
        raise WorkflowRefusedError(cause.type, cause.message) from None
    raise DomainError(f"the workflow failed: {exc.cause}") from exc
