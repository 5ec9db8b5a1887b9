"""Names, inputs and outputs of the payments activities (explicit strings: a rename of a Python
function must never rename an activity under running workflows). Sandbox-safe: no storage, no
httpx."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

PLAN_CONNECTOR = "payments.plan_connector"
CREATE_SCHEDULE = "payments.create_schedule"
FETCH_PAGE = "payments.fetch_page"
TERMINATE_WORKFLOWS = "payments.terminate_workflows"
DELETE_SCHEDULES = "payments.delete_schedules"
PURGE_CONNECTOR = "payments.purge_connector"
FINISH_TASK = "payments.finish_task"
UPDATE_SCHEDULE = "payments.update_schedule"
COPY_CONNECTOR = "payments.copy_connector"
RECORD_INSTANCE = "payments.record_instance"
FINISH_INSTANCE = "payments.finish_instance"
CREATE_BANK_ACCOUNT = "payments.create_bank_account"

# Provider failures become: type VALIDATION, non-retryable (the request is wrong or not
# implemented); type INTERNAL, retried with the stub's backoff; or INTERNAL with
# `next_retry_delay` set to the provider's Retry-After (rate-limited).


class ConnectorRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    connector_id: str


class ConnectorPlan(BaseModel):
    """What the install workflow schedules, read from storage through an activity so that the
    polling period is recorded in history (never read from process state in a workflow)."""

    model_config = ConfigDict(frozen=True)
    connector_id: str
    provider: str
    capabilities: list[str]
    polling_period_seconds: float


class CreateScheduleInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    connector_id: str
    capability: str
    schedule_id: str
    every_seconds: float
    jitter_seconds: float


class UpdateScheduleInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    schedule_id: str
    every_seconds: float
    jitter_seconds: float
    # Set: the schedule is also resumed if it was paused (a config change resumes).
    connector_id: str | None = None


class FetchPageInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    connector_id: str
    capability: str


class FetchPageResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    items: int  # objects the provider returned on this page
    changed: int  # of which new or changed (each wrote its event)
    has_more: bool


class Count(BaseModel):
    model_config = ConfigDict(frozen=True)
    count: int


class FinishTaskInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    task_id: str
    status: str  # a domain.payments.models.TaskStatus value
    error: str | None = None
    created_object_id: str | None = None


class CopyConnectorInput(BaseModel):
    """A reset's new connector: the old one's provider and config under a new reference."""

    model_config = ConfigDict(frozen=True)
    connector_id: str
    new_reference: str


class CopiedConnector(BaseModel):
    model_config = ConfigDict(frozen=True)
    connector_id: str


class InstanceInput(BaseModel):
    """A fetch run of a schedule: its instance id is the run's workflow id."""

    model_config = ConfigDict(frozen=True)
    instance_id: str
    schedule_id: str
    connector_id: str


class FinishInstanceInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    instance_id: str
    connector_id: str
    error: str | None = None


class InstanceOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    failed_in_a_row: int
    paused: bool


class ForwardBankAccountInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    bank_account_id: str
    connector_id: str


class CreatedObject(BaseModel):
    """The id of what a provider created (the task's createdObjectID)."""

    model_config = ConfigDict(frozen=True)
    object_id: str


# --- payment initiations ------------------------------------------------------------------------

RECORD_INITIATION_STEP = "payments.record_initiation_step"
SEND_INITIATION = "payments.send_initiation"
POLL_INITIATION = "payments.poll_initiation"
OPEN_REVERSAL = "payments.open_reversal"
SEND_REVERSAL = "payments.send_reversal"
DELETE_INITIATION = "payments.delete_initiation"


class InitiationStep(BaseModel):
    """One adjustment of an initiation, with the task it opens or finishes. `at` is the
    workflow's time (ISO): the adjustment's id is built from it, so a retried activity writes
    nothing twice."""

    model_config = ConfigDict(frozen=True)
    initiation_id: str
    connector_id: str
    status: str  # an InitiationStatus value
    at: str
    error: str | None = None
    amount: int | None = None
    asset: str | None = None
    open_task_id: str | None = None
    finish_task_id: str | None = None
    task_status: str | None = None  # a TaskStatus value, with finish_task_id
    created_object_id: str | None = None
    # Set when the step ends a reversal: the reversal's own status follows (PROCESSED when the
    # step is REVERSED, FAILED otherwise).
    reversal_id: str | None = None
    # Set on the PROCESSING step before a send: the send's slot is reserved in the same
    # activity (one round trip less per send than an activity of its own).
    reserve_slot: bool = False


class SendSlot(BaseModel):
    """How long to wait before sending, so the connector's sends keep to its rate (0 when
    the step reserved no slot)."""

    model_config = ConfigDict(frozen=True)
    wait_seconds: float = 0.0


class SendInput(BaseModel):
    """One attempt's send. A final outcome (PROCESSED, FAILED) is recorded by the activity
    itself, with the attempt's task finished, in the same call: one round trip less per
    initiation than a step of its own."""

    model_config = ConfigDict(frozen=True)
    initiation_id: str
    connector_id: str
    attempt: int
    task_id: str


class SendOutcome(BaseModel):
    """The provider's payment and what it means for the initiation: PROCESSED, FAILED, or
    PENDING (look again after `poll_interval_seconds`, a setting recorded in history)."""

    model_config = ConfigDict(frozen=True)
    payment_id: str
    outcome: str
    poll_interval_seconds: float
    error: str | None = None
    recorded: bool = False  # the final adjustment and the task are written


class PollInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    payment_id: str
    send: SendInput


class ReversalInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    initiation_id: str
    connector_id: str
    reversal_id: str
    task_id: str
    reference: str
    amount: int
    asset: str
    description: str = ""
    metadata: dict[str, str] = {}
    at: str


class ReversalOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    payment_id: str | None = None
    error: str | None = None


class DeleteInitiationInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    initiation_id: str
    task_id: str | None = None


# --- open banking -------------------------------------------------------------------------------

CREATE_LINK = "payments.create_link"
COMPLETE_LINK = "payments.complete_link"
EXPIRE_LINK = "payments.expire_link"
DELETE_OPEN_BANKING = "payments.delete_open_banking"


class LinkInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    attempt_id: str
    callback_url: str = ""


class LinkOutput(BaseModel):
    model_config = ConfigDict(frozen=True)
    link: str


class AttemptOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: str  # an AttemptStatus value
    connection_id: str | None = None
    error: str | None = None


class DeleteOpenBankingInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    task_id: str
    psu_id: str
    connector_id: str | None = None
    connection_id: str | None = None
