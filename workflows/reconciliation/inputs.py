"""What the API needs to start reconciliation workflows: names, ids, inputs and start specs. No
activity implementations here: the API imports this module."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.common import SearchAttributePair, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.reconciliation.scheduling import EvaluateInput
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


# --- rules ------------------------------------------------------------------------------------

EVALUATE_WORKFLOW = "reconciliation-evaluate-rule"
SYNC_SCHEDULE_WORKFLOW = "reconciliation-sync-rule-schedule"


def evaluate_workflow_id(rule_id: str) -> str:
    """An on-demand evaluation (scheduled ones are `reconciliation-rule-<id>-<time>`)."""
    return f"reconciliation-rule-{rule_id}-evaluate"


def sync_schedule_workflow_id(rule_id: str) -> str:
    return f"reconciliation-rule-{rule_id}-schedule-sync"


class SyncInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    rule_id: str


class SyncResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    state: str  # "absent", "active" or "paused"


def evaluate_start(data: EvaluateInput, kind: str, timeout: timedelta) -> StartSpec:
    # One on-demand evaluation of a rule at a time: a second asked for while one runs is a
    # conflict (409), not a second run racing the first on the rule's alerts; once it ended,
    # the next one runs under the same id.
    return StartSpec(
        EVALUATE_WORKFLOW, evaluate_workflow_id(data.rule_id), data,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=(
            SearchAttributePair(search_attributes.CONFIG_ID, data.rule_id),
            SearchAttributePair(search_attributes.KIND, kind),
        ),
        summary=f"Evaluate rule ({kind}) on demand",
        details=f"rule {data.rule_id}",
        execution_timeout=timeout,
    )


def sync_schedule_start(rule_id: str, timeout: timedelta) -> StartSpec:
    # The latest change wins: a newer sync replaces one still running (each reads the rule as
    # stored, so a replaced one would only have applied an older state).
    return StartSpec(
        SYNC_SCHEDULE_WORKFLOW, sync_schedule_workflow_id(rule_id), SyncInput(rule_id=rule_id),
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        search_attributes=(SearchAttributePair(search_attributes.CONFIG_ID, rule_id),),
        summary="Match the rule's Temporal Schedule to the rule",
        details=f"rule {rule_id}: cron, time zone, paused while disabled, deleted with it",
        execution_timeout=timeout,
    )
