"""The API's side of the reconciliation workflows, through the app's one Temporal client (errors
mapped in api/temporal.py).

A run is started and waited for (`execute`), not sent as an update-with-start: a run is one
short workflow per request (two reads, a pure computation, one insert) whose completion *is* the
answer, and there is no long-lived workflow to send an update to. Waiting on its result is one
long poll; an update-with-start would add a workflow that outlives the request for nothing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import TimeoutError as WorkflowTimeoutError
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.dependencies import Dependencies, dependencies
from api.temporal import TemporalUnavailableError
from domain.errors import DomainError
from domain.reconciliation.errors import EvaluationRunningError, RuleNotFoundError
from domain.reconciliation.evaluations import Evaluation
from domain.reconciliation.models import Reconciliation
from domain.reconciliation.policies import RunRequest
from domain.reconciliation.rules import Rule
from domain.reconciliation.scheduling import EvaluateInput
from workflows.reconciliation.inputs import (
    RunInput,
    SyncResult,
    evaluate_start,
    run_start,
    sync_schedule_start,
)
from workflows.start import StartSpec


async def _execute(deps: Dependencies, spec: StartSpec, result_type: Any) -> Any:
    """Starts and waits. A workflow that did not finish within its execution timeout (no worker
    polls the queue, or one is stuck) is a 503 to retry, not an internal error."""
    try:
        return await deps.temporal.execute(spec, deps.modules.reconciliation.task_queue,
                                           result_type)
    except DomainError as exc:
        cause = exc.__cause__
        if isinstance(cause, WorkflowFailureError) and isinstance(cause.cause,
                                                                  WorkflowTimeoutError):
            raise TemporalUnavailableError(
                f"{spec.summary or spec.workflow}: no result within "
                f"{deps.modules.reconciliation.run_timeout}; is a reconciliation worker "
                "running? retry") from exc
        raise


async def run_reconciliation(request: Request, run: RunRequest) -> Reconciliation:
    deps = dependencies(request)
    settings = deps.modules.reconciliation
    data = RunInput(reconciliation_id=str(uuid.uuid4()), policy_id=run.policy.id,
                    ledger=run.policy.ledger_name, ledger_query=run.policy.ledger_query,
                    pool_id=run.policy.payments_pool_id, at_ledger=run.at_ledger,
                    at_payments=run.at_payments)
    result: Reconciliation = await _execute(deps, run_start(data, settings.run_timeout),
                                            Reconciliation)
    return result


async def sync_rule_schedule(request: Request, rule_id: str) -> str:
    """Waits until the rule's Temporal Schedule matches the rule (one short activity), so the
    answer to a rule change means its schedule changed too. Temporal down: the rule is saved
    and the client is told to send the change again (a sync reads the rule as stored)."""
    deps = dependencies(request)
    try:
        result: SyncResult = await _execute(deps, sync_schedule_start(
            rule_id, deps.modules.reconciliation.run_timeout), SyncResult)
    except TemporalUnavailableError as exc:
        raise TemporalUnavailableError(
            "the rule was saved but its schedule could not be updated; send the change "
            "again") from exc
    return result.state


async def evaluate_rule(request: Request, rule: Rule, data: EvaluateInput) -> Evaluation:
    """Starts the rule's on-demand evaluation and waits for the stored result (as a run)."""
    deps = dependencies(request)
    settings = deps.modules.reconciliation
    try:
        result = await _execute(
            deps, evaluate_start(data, rule.template_kind.value, settings.run_timeout),
            Evaluation | None)
    except WorkflowAlreadyStartedError:
        raise EvaluationRunningError(rule.id) from None
    if result is None:  # deleted between the request's check and the run
        raise RuleNotFoundError(rule.id)
    assert isinstance(result, Evaluation)
    return result
