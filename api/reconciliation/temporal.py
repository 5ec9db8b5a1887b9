"""The API's side of the reconciliation workflows, through the app's one Temporal client (errors
mapped in api/temporal.py).

A run is started and waited for (`execute`), not sent as an update-with-start: a run is one
short workflow per request (two reads, a pure computation, one insert) whose completion *is* the
answer, and there is no long-lived workflow to send an update to. Waiting on its result is one
long poll; an update-with-start would add a workflow that outlives the request for nothing."""

from __future__ import annotations

import uuid

from fastapi import Request

from api.dependencies import dependencies
from domain.reconciliation.models import Reconciliation
from domain.reconciliation.policies import RunRequest
from workflows.reconciliation.inputs import RunInput, run_start


async def run_reconciliation(request: Request, run: RunRequest) -> Reconciliation:
    deps = dependencies(request)
    settings = deps.modules.reconciliation
    data = RunInput(reconciliation_id=str(uuid.uuid4()), policy_id=run.policy.id,
                    ledger=run.policy.ledger_name, ledger_query=run.policy.ledger_query,
                    pool_id=run.policy.payments_pool_id, at_ledger=run.at_ledger,
                    at_payments=run.at_payments)
    return await deps.temporal.execute(run_start(data, settings.run_timeout),
                                       settings.task_queue, Reconciliation)
