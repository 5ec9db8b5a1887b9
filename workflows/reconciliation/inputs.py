"""What the API needs to start reconciliation workflows: names, ids, inputs and start specs. No
activity implementations here: the API imports this module."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.common import SearchAttributePair, WorkflowIDReusePolicy

from workflows import search_attributes
from workflows.start import StartSpec

RUN_WORKFLOW = "reconciliation-run"

# What KIND holds for a policy run (a rule's evaluation holds its template kind).
POLICY_RUN_KIND = "policy"


def run_workflow_id(reconciliation_id: str) -> str:
    return f"reconciliation-{reconciliation_id}"


class RunInput(BaseModel):
    """A checked run request: the policy as it was when the run was asked for."""

    model_config = ConfigDict(frozen=True)
    reconciliation_id: str
    policy_id: str
    ledger: str
    ledger_query: dict[str, Any]
    pool_id: str
    at_ledger: datetime
    at_payments: datetime


def run_start(data: RunInput, timeout: timedelta) -> StartSpec:
    # A fresh id per request (as Formance, every POST is a new run); never a second run under
    # it, even once the first has finished.
    return StartSpec(
        RUN_WORKFLOW, run_workflow_id(data.reconciliation_id), data,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=(
            SearchAttributePair(search_attributes.CONFIG_ID, data.policy_id),
            SearchAttributePair(search_attributes.KIND, POLICY_RUN_KIND),
            SearchAttributePair(search_attributes.LEDGER, data.ledger),
        ),
        summary="Reconcile a ledger against a payments pool",
        details=f"policy {data.policy_id}: ledger {data.ledger} at "
                f"{data.at_ledger.isoformat()}, pool {data.pool_id} at "
                f"{data.at_payments.isoformat()}",
        execution_timeout=timeout,
    )
