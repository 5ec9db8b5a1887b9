"""How workflows call the payments activities (activities/stub.py sets the shared rules)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.payments.contracts import (
    COPY_CONNECTOR,
    CREATE_BANK_ACCOUNT,
    CREATE_SCHEDULE,
    DELETE_SCHEDULES,
    FETCH_PAGE,
    FINISH_INSTANCE,
    FINISH_TASK,
    PLAN_CONNECTOR,
    PURGE_CONNECTOR,
    RECORD_INSTANCE,
    TERMINATE_WORKFLOWS,
    UPDATE_SCHEDULE,
    ConnectorPlan,
    ConnectorRef,
    CopiedConnector,
    CopyConnectorInput,
    Count,
    CreatedObject,
    CreateScheduleInput,
    FetchPageInput,
    FetchPageResult,
    FinishInstanceInput,
    FinishTaskInput,
    ForwardBankAccountInput,
    InstanceInput,
    InstanceOutcome,
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
