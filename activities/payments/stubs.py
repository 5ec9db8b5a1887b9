"""How workflows call the payments activities (activities/stub.py sets the shared rules)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.payments.contracts import (
    COMPLETE_LINK,
    COPY_CONNECTOR,
    CREATE_BANK_ACCOUNT,
    CREATE_LINK,
    CREATE_SCHEDULE,
    DELETE_INITIATION,
    DELETE_OPEN_BANKING,
    DELETE_SCHEDULES,
    EXPIRE_LINK,
    FETCH_PAGE,
    FINISH_INSTANCE,
    FINISH_TASK,
    OPEN_REVERSAL,
    PLAN_CONNECTOR,
    POLL_INITIATION,
    PURGE_CONNECTOR,
    RECORD_INITIATION_STEP,
    RECORD_INSTANCE,
    SEND_INITIATION,
    SEND_REVERSAL,
    TERMINATE_WORKFLOWS,
    UPDATE_SCHEDULE,
    AttemptOutcome,
    ConnectorPlan,
    ConnectorRef,
    CopiedConnector,
    CopyConnectorInput,
    Count,
    CreatedObject,
    CreateScheduleInput,
    DeleteInitiationInput,
    DeleteOpenBankingInput,
    FetchPageInput,
    FetchPageResult,
    FinishInstanceInput,
    FinishTaskInput,
    ForwardBankAccountInput,
    InitiationStep,
    InstanceInput,
    InstanceOutcome,
    LinkInput,
    LinkOutput,
    PollInput,
    ReversalInput,
    ReversalOutcome,
    SendInput,
    SendOutcome,
    SendSlot,
    UpdateScheduleInput,
)
from activities.stub import Stub

# Storage and Temporal calls: quick, retried without limit (each is idempotent by its ids).
_SHORT = timedelta(minutes=1)
# One provider page: the provider may be slow (Formance's "long" context, 5 min).
_FETCH = timedelta(minutes=5)
# A provider failing: retried with backoff (1 s doubling up to 100 s, as Formance), a few
# times; then the run fails and the schedule's next tick starts over from the stored state.
_FETCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                           maximum_interval=timedelta(seconds=100), maximum_attempts=6)

plan_connector: Stub[ConnectorRef, ConnectorPlan] = Stub(
    PLAN_CONNECTOR, ConnectorPlan, _SHORT, summary=lambda d: "read the connector's plan")
create_schedule: Stub[CreateScheduleInput, None] = Stub(
    CREATE_SCHEDULE, None, _SHORT, summary=lambda d: f"schedule {d.capability}")
fetch_page: Stub[FetchPageInput, FetchPageResult] = Stub(
    FETCH_PAGE, FetchPageResult, _FETCH, _FETCH_RETRY,
    summary=lambda d: f"{d.capability}: one page")
terminate_workflows: Stub[ConnectorRef, Count] = Stub(
    TERMINATE_WORKFLOWS, Count, _SHORT, summary=lambda d: "terminate running fetches")
delete_schedules: Stub[ConnectorRef, Count] = Stub(
    DELETE_SCHEDULES, Count, _SHORT, summary=lambda d: "delete the connector's schedules")
purge_connector: Stub[ConnectorRef, None] = Stub(
    PURGE_CONNECTOR, None, _SHORT, summary=lambda d: "delete the connector's data")
finish_task: Stub[FinishTaskInput, None] = Stub(
    FINISH_TASK, None, _SHORT, summary=lambda d: f"task {d.status}")
update_schedule: Stub[UpdateScheduleInput, Count] = Stub(
    UPDATE_SCHEDULE, Count, _SHORT, summary=lambda d: f"every {d.every_seconds:g} s")
copy_connector: Stub[CopyConnectorInput, CopiedConnector] = Stub(
    COPY_CONNECTOR, CopiedConnector, _SHORT, summary=lambda d: "store the new connector")
record_instance: Stub[InstanceInput, None] = Stub(
    RECORD_INSTANCE, None, _SHORT, summary=lambda d: "record this run")
finish_instance: Stub[FinishInstanceInput, InstanceOutcome] = Stub(
    FINISH_INSTANCE, InstanceOutcome, _SHORT,
    summary=lambda d: "run failed" if d.error else "run succeeded")
create_bank_account: Stub[ForwardBankAccountInput, CreatedObject] = Stub(
    CREATE_BANK_ACCOUNT, CreatedObject, _FETCH, _FETCH_RETRY,
    summary=lambda d: "create the bank account at the provider")


# --- payment initiations ------------------------------------------------------------------------

# A send whose provider failed in a way a retry may fix (timeout, 5xx, rate limit) is retried
# with the same idempotency key, so a retry can never send twice; after these attempts the
# initiation is FAILED and a user may retry it (a new attempt, a new key).
_SEND_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                          maximum_interval=timedelta(seconds=30), maximum_attempts=5)

record_initiation_step: Stub[InitiationStep, SendSlot] = Stub(
    RECORD_INITIATION_STEP, SendSlot, _SHORT,
    summary=lambda d: d.status + (" (send slot reserved)" if d.reserve_slot else ""))
send_initiation: Stub[SendInput, SendOutcome] = Stub(
    SEND_INITIATION, SendOutcome, _FETCH, _SEND_RETRY,
    summary=lambda d: f"send attempt {d.attempt} to the provider")
poll_initiation: Stub[PollInput, SendOutcome] = Stub(
    POLL_INITIATION, SendOutcome, _SHORT, summary=lambda d: "is the payment final?")
open_reversal: Stub[ReversalInput, None] = Stub(
    OPEN_REVERSAL, None, _SHORT, summary=lambda d: f"reversal of {d.amount}")
send_reversal: Stub[ReversalInput, ReversalOutcome] = Stub(
    SEND_REVERSAL, ReversalOutcome, _FETCH, _SEND_RETRY,
    summary=lambda d: f"reverse {d.amount} {d.asset} at the provider")
delete_initiation: Stub[DeleteInitiationInput, None] = Stub(
    DELETE_INITIATION, None, _SHORT, summary=lambda d: "delete the initiation")


# --- open banking -------------------------------------------------------------------------------

create_link: Stub[LinkInput, LinkOutput] = Stub(
    CREATE_LINK, LinkOutput, _FETCH, _FETCH_RETRY, summary=lambda d: "ask the provider a link")
complete_link: Stub[LinkInput, AttemptOutcome] = Stub(
    COMPLETE_LINK, AttemptOutcome, _FETCH, _FETCH_RETRY,
    summary=lambda d: "the user is back: complete the link")
expire_link: Stub[LinkInput, AttemptOutcome] = Stub(
    EXPIRE_LINK, AttemptOutcome, _SHORT, summary=lambda d: "the link expired")
delete_open_banking: Stub[DeleteOpenBankingInput, None] = Stub(
    DELETE_OPEN_BANKING, None, _SHORT, summary=lambda d: "delete and finish the task")
