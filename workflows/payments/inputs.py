"""What the API needs to start payments workflows: names, ids, inputs and start specs. No
activity implementations here: the API imports this module."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from temporalio.common import SearchAttributePair, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.payments.initiations import InitiationStatus, PaymentInitiation
from workflows import search_attributes
from workflows.start import StartSpec

INSTALL_WORKFLOW = "payments-install-connector"
FETCH_WORKFLOW = "payments-fetch"
UNINSTALL_WORKFLOW = "payments-uninstall-connector"
UPDATE_SCHEDULES_WORKFLOW = "payments-update-schedules"
RESET_WORKFLOW = "payments-reset-connector"
FORWARD_BANK_ACCOUNT_WORKFLOW = "payments-forward-bank-account"


# Jitter spreads the runs of many connectors (Formance: min(period / 2, 5 min)).
MAX_JITTER = timedelta(minutes=5)


def install_workflow_id(connector_id: str) -> str:
    return f"payments-install-{connector_id}"


def uninstall_workflow_id(connector_id: str) -> str:
    return f"payments-uninstall-{connector_id}"


def reset_workflow_id(connector_id: str) -> str:
    return f"payments-reset-{connector_id}"


def update_schedules_workflow_id(connector_id: str) -> str:
    return f"payments-update-schedules-{connector_id}"


def forward_bank_account_workflow_id(task_id: str) -> str:
    return f"payments-forward-bank-account-{task_id}"


def schedule_id(connector_id: str, capability: str) -> str:
    return f"payments-{connector_id}-{capability}"


def jitter(period: timedelta) -> timedelta:
    return min(period / 2, MAX_JITTER)


class InstallInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    connector_id: str


class FetchInput(BaseModel):
    """What a connector's schedule passes to each fetch run. The schedule is created by an
    activity (activities/payments), which writes this same shape: the two must stay equal
    (tests/unit/payments checks it)."""

    model_config = ConfigDict(frozen=True)
    connector_id: str
    capability: str


class InstallResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    schedules: list[str]


class FetchResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    pages: int
    items: int
    changed: int


class UninstallInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    connector_id: str
    # The task to report on; None when a reset runs the uninstall (the reset reports).
    task_id: str | None = None


class ResetInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    connector_id: str
    task_id: str


class ForwardBankAccountInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    bank_account_id: str
    connector_id: str
    task_id: str


def install_start(connector_id: str, provider: str) -> StartSpec:
    return StartSpec(
        INSTALL_WORKFLOW, install_workflow_id(connector_id),
        InstallInput(connector_id=connector_id),
        # A failed install may be run again; a running or finished one is the connector's.
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=(SearchAttributePair(search_attributes.CONNECTOR_ID, connector_id),),
        summary=f"Install {provider} connector",
        details=f"connector {connector_id}: one Temporal Schedule per fetch capability",
    )


def uninstall_start(connector_id: str, task_id: str) -> StartSpec:
    # No connector search attribute: the uninstall terminates every running workflow that has
    # it, and must not terminate itself.
    return StartSpec(
        UNINSTALL_WORKFLOW, uninstall_workflow_id(connector_id),
        UninstallInput(connector_id=connector_id, task_id=task_id),
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        summary="Uninstall connector",
        details=f"connector {connector_id}, task {task_id}",
    )


def update_schedules_start(connector_id: str) -> StartSpec:
    # The latest config wins: a newer update replaces one still running (each reads the period
    # from storage through its activity, so a replaced run would only have written an older one).
    return StartSpec(
        UPDATE_SCHEDULES_WORKFLOW, update_schedules_workflow_id(connector_id),
        InstallInput(connector_id=connector_id),
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        search_attributes=(SearchAttributePair(search_attributes.CONNECTOR_ID, connector_id),),
        summary="Update the connector's polling period",
        details=f"connector {connector_id}: every schedule takes the configured period",
    )


def reset_start(connector_id: str, task_id: str) -> StartSpec:
    # No connector search attribute, as for the uninstall it runs (which must not stop it).
    return StartSpec(
        RESET_WORKFLOW, reset_workflow_id(connector_id),
        ResetInput(connector_id=connector_id, task_id=task_id),
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        summary="Reset connector",
        details=f"connector {connector_id}: uninstalled, then installed again under a new id; "
                f"task {task_id}",
    )


def forward_bank_account_start(bank_account_id: str, connector_id: str,
                               task_id: str) -> StartSpec:
    # One run per task (the task id is built from the bank account and the connector): asked
    # again, a running or finished forward is the answer; a failed one runs again. Findable by
    # connector id, and stopped by the connector's uninstall like its fetches.
    return StartSpec(
        FORWARD_BANK_ACCOUNT_WORKFLOW, forward_bank_account_workflow_id(task_id),
        ForwardBankAccountInput(bank_account_id=bank_account_id, connector_id=connector_id,
                                task_id=task_id),
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=(SearchAttributePair(search_attributes.CONNECTOR_ID, connector_id),),
        summary="Forward a bank account to a connector",
        details=f"bank account {bank_account_id} to connector {connector_id}, task {task_id}",
    )


# --- payment initiations ------------------------------------------------------------------------

INITIATION_WORKFLOW = "payments-payment-initiation"
APPROVE_UPDATE = "approve"
REJECT_UPDATE = "reject"
RETRY_UPDATE = "retry"
REVERSE_UPDATE = "reverse"
DELETE_UPDATE = "delete"


def initiation_workflow_id(initiation_id: str) -> str:
    return f"payment-initiation-{initiation_id}"


class InitiationState(BaseModel):
    """What a run hands to the next when it continues as new."""

    status: str
    failed_attempts: int = 0
    reversed_amount: int = 0
    reversal_references: list[str] = []


class InitiationInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    initiation_id: str
    connector_id: str
    provider: str
    reference: str
    type: str
    amount: int
    asset: str
    scheduled_at: datetime | None = None
    state: InitiationState | None = None


class TaskRef(BaseModel):
    task_id: str


class ReverseCommand(BaseModel):
    reference: str
    amount: int
    asset: str
    description: str = ""
    metadata: dict[str, str] = {}
    # The status the caller read in PostgreSQL (see SETTLING below).
    books_status: str | None = None


class RetryCommand(BaseModel):
    books_status: str | None = None


# The send's activity writes its final adjustment (PROCESSED or FAILED) before the workflow
# takes its result in, so for a moment the books say PROCESSED while the workflow still says
# PROCESSING. An action sent in that moment, by a client that read the books, names the status
# it read: the workflow then waits up to SETTLING for its own state to catch up instead of
# refusing "PROCESSING". Without it (or when the books also say PROCESSING) the refusal is
# immediate, as Formance's.
SETTLING_SECONDS = 10


class ReversalRef(BaseModel):
    task_id: str
    reversal_id: str


def initiation_start(initiation: PaymentInitiation) -> StartSpec:
    # One run per initiation, ever: a create sent again while it runs finds it (USE_EXISTING),
    # and once it closed (rejected, deleted, fully reversed) nothing starts it again
    # (REJECT_DUPLICATE), so an action on a closed initiation is refused, never replayed.
    p = initiation
    return StartSpec(
        INITIATION_WORKFLOW, initiation_workflow_id(p.id),
        InitiationInput(initiation_id=p.id, connector_id=p.connector_id, provider=p.provider,
                        reference=p.reference, type=p.type.value, amount=p.amount,
                        asset=p.asset, scheduled_at=p.scheduled_at),
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=(
            SearchAttributePair(search_attributes.CONNECTOR_ID, p.connector_id),
            SearchAttributePair(search_attributes.PROVIDER, p.provider),
            SearchAttributePair(search_attributes.STATUS,
                                InitiationStatus.WAITING_FOR_VALIDATION.value),
            SearchAttributePair(search_attributes.KIND, p.type.value)),
        summary=f"{p.type.value} of {p.amount} {p.asset} ({p.reference})"[:200],
        details=f"payment initiation {p.id} on connector {p.connector_id}; approve, reject, "
                "retry, reverse and delete are updates",
    )


# --- open banking -------------------------------------------------------------------------------

LINK_WORKFLOW = "payments-open-banking-link"
OPEN_BANKING_DELETE_WORKFLOW = "payments-open-banking-delete"
LINK_UPDATE = "link"
COMPLETE_LINK_UPDATE = "complete"


def link_workflow_id(attempt_id: str) -> str:
    return f"payments-link-{attempt_id}"


def open_banking_delete_workflow_id(task_id: str) -> str:
    return f"payments-open-banking-delete-{task_id}"


class LinkFlowInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    attempt_id: str
    psu_id: str
    connector_id: str
    callback_url: str
    expires_seconds: float


class LinkRef(BaseModel):
    link: str


class AttemptRef(BaseModel):
    status: str
    connection_id: str | None = None
    error: str | None = None


class OpenBankingDeleteInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    task_id: str
    psu_id: str
    connector_id: str | None = None
    connection_id: str | None = None


def link_start(attempt_id: str, psu_id: str, connector_id: str, callback_url: str,
               expires: timedelta) -> StartSpec:
    # One run per attempt (a new attempt is a new link); it waits for the user.
    return StartSpec(
        LINK_WORKFLOW, link_workflow_id(attempt_id),
        LinkFlowInput(attempt_id=attempt_id, psu_id=psu_id, connector_id=connector_id,
                      callback_url=callback_url, expires_seconds=expires.total_seconds()),
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=(SearchAttributePair(search_attributes.CONNECTOR_ID, connector_id),
                           SearchAttributePair(search_attributes.KIND, "OPEN_BANKING_LINK")),
        summary="Open banking link: waiting for the user",
        details=f"attempt {attempt_id} of payment service user {psu_id}; expires after "
                f"{expires}",
    )


def open_banking_delete_start(data: OpenBankingDeleteInput) -> StartSpec:
    if data.connection_id:
        kind, what = "connection", f"connection {data.connection_id}"
    elif data.connector_id:
        kind, what = "connector", f"registration on connector {data.connector_id}"
    else:
        kind, what = "user", "the payment service user and all it has"
    return StartSpec(
        OPEN_BANKING_DELETE_WORKFLOW, open_banking_delete_workflow_id(data.task_id), data,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        summary=f"Open banking: delete a payment service user's {kind}",
        details=f"payment service user {data.psu_id}: {what}; task {data.task_id}",
    )
