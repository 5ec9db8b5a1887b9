"""The payments activities: provider pages stored with their fetch state in one transaction,
the connector's Temporal Schedules, and the uninstall steps. Provider failures are mapped to
Temporal retries here, once (see contracts.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio import activity
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.defn import activity_defn
from activities.payments.connectors import FACTORIES
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
from domain.payments import ids
from domain.payments.errors import BankAccountNotFoundError, ConnectorNotFoundError, ErrorCode
from domain.payments.models import FETCH_CAPABILITIES, AccountType, Capability, TaskStatus
from domain.payments.plugin import (
    ConnectorPlugin,
    FailureKind,
    FetchPage,
    PluginError,
    page_size,
    polling_period,
)
from domain.payments.ports import PaymentsStore
from domain.payments.registry import provider
from domain.payments.service import (
    to_account,
    to_balance,
    to_conversion,
    to_order,
    to_payment,
)

log = logging.getLogger("ledgerflow.payments.activities")

# Balances are read per stored internal account: this many accounts per activity call.
BALANCE_ACCOUNTS_PER_PAGE = 25


@dataclass(frozen=True)
class ScheduleTarget:
    """What a schedule starts: the fetch workflow's type name and the search attribute that
    finds a connector's workflows (given by the composition root, which knows the workflows;
    activities do not import them)."""

    fetch_workflow: str
    connector_key: SearchAttributeKey[str]


class PaymentsActivities:
    def __init__(self, store: PaymentsStore, http: httpx.AsyncClient,
                 target: ScheduleTarget, *, pause_after_failures: int = 5) -> None:
        self.store = store
        self.http = http
        self.target = target
        self.pause_after_failures = pause_after_failures

    # --- install ------------------------------------------------------------------------------

    @activity_defn(PLAN_CONNECTOR)
    async def plan_connector(self, data: ConnectorRef) -> ConnectorPlan:
        connector = await self.store.get_connector(data.connector_id)
        if connector is None:
            raise ConnectorNotFoundError(data.connector_id)
        spec = provider(connector.provider)
        return ConnectorPlan(
            connector_id=connector.id, provider=connector.provider,
            capabilities=[c.value for c in FETCH_CAPABILITIES if c in spec.capabilities],
            polling_period_seconds=polling_period(connector.config).total_seconds())

    @activity_defn(CREATE_SCHEDULE)
    async def create_schedule(self, data: CreateScheduleInput) -> None:
        client = activity.client()
        attributes = TypedSearchAttributes([
            SearchAttributePair(self.target.connector_key, data.connector_id)])
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                self.target.fetch_workflow,
                FetchPageInput(connector_id=data.connector_id, capability=data.capability),
                id=data.schedule_id, task_queue=activity.info().task_queue,
                typed_search_attributes=attributes,
                static_summary=f"{data.capability} of connector {data.connector_id}"),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(
                every=timedelta(seconds=data.every_seconds))],
                jitter=timedelta(seconds=data.jitter_seconds)),
            # A run still going when the next is due: one more is buffered, never a pile-up.
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE),
            state=ScheduleState(note=f"payments connector {data.connector_id}: "
                                     f"{data.capability}"),
        )
        # Recorded first, so an uninstall finds every schedule that may exist.
        await self.store.add_schedule(data.connector_id, data.schedule_id, datetime.now(UTC))
        # Already there: a retried attempt, or a reinstall of the same plan.
        with contextlib.suppress(ScheduleAlreadyRunningError):
            await client.create_schedule(data.schedule_id, schedule, trigger_immediately=True,
                                         search_attributes=attributes)

    @activity_defn(UPDATE_SCHEDULE)
    async def update_schedule(self, data: UpdateScheduleInput) -> Count:
        """A new polling period on an existing schedule; 0 if the schedule is gone."""
        def updated(current: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule = current.description.schedule
            schedule.spec = ScheduleSpec(
                intervals=[ScheduleIntervalSpec(every=timedelta(seconds=data.every_seconds))],
                jitter=timedelta(seconds=data.jitter_seconds))
            if data.connector_id is not None:
                schedule.state.paused = False
                schedule.state.note = "resumed: the connector's config changed"
            return ScheduleUpdate(schedule=schedule)

        try:
            await activity.client().get_schedule_handle(data.schedule_id).update(updated)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return Count(count=0)
        if data.connector_id is not None:
            await self.store.resume_schedule(data.schedule_id)
        return Count(count=1)

    # --- schedule instances -------------------------------------------------------------------

    @activity_defn(RECORD_INSTANCE)
    async def record_instance(self, data: InstanceInput) -> None:
        await self.store.start_instance(data.instance_id, data.schedule_id, data.connector_id,
                                        datetime.now(UTC))

    @activity_defn(FINISH_INSTANCE)
    async def finish_instance(self, data: FinishInstanceInput) -> InstanceOutcome:
        """Records the run's end; after `pause_after_failures` failed runs in a row, pauses
        every schedule of the connector with the reason (Temporal's note: the UI shows it)."""
        failed = await self.store.finish_instance(data.instance_id, data.error,
                                                  datetime.now(UTC), self.pause_after_failures)
        if failed < self.pause_after_failures:
            return InstanceOutcome(failed_in_a_row=failed, paused=False)
        reason = (f"paused after {failed} failed runs in a row; last error: "
                  f"{(data.error or '')[:300]}; change the connector's config to resume")
        paused = await self.store.pause_schedules(data.connector_id, reason, datetime.now(UTC))
        client = activity.client()
        for schedule_id in paused:
            try:
                await client.get_schedule_handle(schedule_id).pause(note=reason)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
        return InstanceOutcome(failed_in_a_row=failed, paused=True)

    # --- fetch --------------------------------------------------------------------------------

    @activity_defn(FETCH_PAGE)
    async def fetch_page(self, data: FetchPageInput) -> FetchPageResult:
        connector = await self.store.get_connector(data.connector_id)
        if connector is None or connector.scheduled_for_deletion:
            raise ConnectorNotFoundError(data.connector_id)
        cid = ids.ConnectorID.parse(connector.id)
        capability = Capability(data.capability)
        plugin = FACTORIES[connector.provider](connector.config, self.http)
        state = await self.store.get_state(connector.id, capability.value)
        size = page_size(connector.config)
        try:
            page, new_state = await self._fetch(plugin, connector.id, capability, state, size)
        except PluginError as exc:
            raise _temporal_error(exc) from exc
        finally:
            await plugin.close()
        kind = (AccountType.EXTERNAL if capability is Capability.FETCH_EXTERNAL_ACCOUNTS
                else AccountType.INTERNAL)
        accounts = [to_account(cid, a, kind) for a in page.accounts]
        balances = [to_balance(cid, b) for b in page.balances]
        payments = [to_payment(cid, p) for p in page.payments]
        orders = [to_order(cid, o) for o in page.orders]
        conversions = [to_conversion(cid, c) for c in page.conversions]
        changed = await self.store.save_page(connector.id, capability.value, new_state,
                                             accounts, balances, payments, orders=orders,
                                             conversions=conversions)
        return FetchPageResult(items=len(accounts) + len(balances) + len(payments)
                               + len(orders) + len(conversions),
                               changed=changed, has_more=page.has_more)

    async def _fetch(self, plugin: ConnectorPlugin, connector_id: str, capability: Capability,
                     state: dict[str, Any] | None, size: int
                     ) -> tuple[FetchPage, dict[str, Any]]:
        if capability is Capability.FETCH_ACCOUNTS:
            page = await plugin.fetch_next_accounts(state, size)
            return page, page.state
        if capability is Capability.FETCH_EXTERNAL_ACCOUNTS:
            page = await plugin.fetch_next_external_accounts(state, size)
            return page, page.state
        if capability is Capability.FETCH_PAYMENTS:
            page = await plugin.fetch_next_payments(state, size)
            return page, page.state
        if capability is Capability.FETCH_ORDERS:
            page = await plugin.fetch_next_orders(state, size)
            return page, page.state
        if capability is Capability.FETCH_CONVERSIONS:
            page = await plugin.fetch_next_conversions(state, size)
            return page, page.state
        if capability is Capability.FETCH_BALANCES:
            # Balances per stored internal account, BALANCE_ACCOUNTS_PER_PAGE at a time; the
            # state is the last account read, reset once every account was read.
            after = (state or {}).get("after")
            accounts = await self.store.account_references(
                connector_id, after if isinstance(after, str) else None,
                BALANCE_ACCOUNTS_PER_PAGE)
            balances = []
            for _, reference in accounts:
                balances += (await plugin.fetch_next_balances(reference)).balances
            more = len(accounts) == BALANCE_ACCOUNTS_PER_PAGE
            return (FetchPage(balances=balances, has_more=more),
                    {"after": accounts[-1][0]} if more else {})
        raise ApplicationError(f"capability {capability} is not fetched",
                               type=ErrorCode.VALIDATION, non_retryable=True)

    # --- bank accounts --------------------------------------------------------------------------

    @activity_defn(CREATE_BANK_ACCOUNT)
    async def create_bank_account(self, data: ForwardBankAccountInput) -> CreatedObject:
        """The provider creates the external account; it is stored with the bank account's
        link to it in one transaction. A retry after the provider answered asks it again: the
        account's id comes from the provider's reference, so a provider that answers the same
        reference (dummypay: the bank account's id) is stored once."""
        connector = await self.store.get_connector(data.connector_id)
        if connector is None or connector.scheduled_for_deletion:
            raise ConnectorNotFoundError(data.connector_id)
        bank = await self.store.get_bank_account(data.bank_account_id)
        if bank is None:
            raise BankAccountNotFoundError(data.bank_account_id)
        plugin = FACTORIES[connector.provider](connector.config, self.http)
        try:
            created = await plugin.create_bank_account(bank)
        except PluginError as exc:
            raise _temporal_error(exc) from exc
        finally:
            await plugin.close()
        account = to_account(ids.ConnectorID.parse(connector.id), created, AccountType.EXTERNAL)
        await self.store.save_forwarded_bank_account(bank.id, account)
        return CreatedObject(object_id=account.id)

    # --- uninstall ----------------------------------------------------------------------------

    @activity_defn(TERMINATE_WORKFLOWS)
    async def terminate_workflows(self, data: ConnectorRef) -> Count:
        client = activity.client()
        query = (f'{self.target.connector_key.name} = "{data.connector_id}" '
                 'AND ExecutionStatus = "Running"')
        count = 0
        async for execution in client.list_workflows(query):
            try:
                await client.get_workflow_handle(execution.id, run_id=execution.run_id) \
                    .terminate(reason="connector uninstalled")
                count += 1
            except RPCError as exc:  # finished meanwhile: nothing left to stop
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
        return Count(count=count)

    @activity_defn(DELETE_SCHEDULES)
    async def delete_schedules(self, data: ConnectorRef) -> Count:
        client = activity.client()
        count = 0
        for schedule_id in await self.store.schedules(data.connector_id):
            try:
                await client.get_schedule_handle(schedule_id).delete()
                count += 1
            except RPCError as exc:  # deleted by an earlier attempt
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
        return Count(count=count)

    @activity_defn(PURGE_CONNECTOR)
    async def purge_connector(self, data: ConnectorRef) -> None:
        # The uninstall's (or reset's) own task stays PROCESSING for its workflow to finish;
        # every other unfinished task of the connector ends FAILED (its workflow was
        # terminated by terminate_workflows).
        cid = ids.ConnectorID.parse(data.connector_id)
        await self.store.purge_connector(data.connector_id, keep_tasks=[
            ids.operation_task_id(cid, op) for op in ids.CONNECTOR_OPERATIONS])

    @activity_defn(COPY_CONNECTOR)
    async def copy_connector(self, data: CopyConnectorInput) -> CopiedConnector:
        """Idempotent: the new reference comes from the workflow, so a retry finds its row."""
        old = await self.store.get_connector(data.connector_id)
        new_id = str(ids.ConnectorID(ids.ConnectorID.parse(data.connector_id).provider,
                                     data.new_reference))
        if old is not None:
            await self.store.copy_connector(old, new_id, data.new_reference,
                                            datetime.now(UTC))
        elif await self.store.get_connector(new_id) is None:
            raise ConnectorNotFoundError(data.connector_id)
        return CopiedConnector(connector_id=new_id)

    @activity_defn(FINISH_TASK)
    async def finish_task(self, data: FinishTaskInput) -> None:
        await self.store.finish_task(data.task_id, TaskStatus(data.status), error=data.error,
                                     created_object_id=data.created_object_id)

    def all(self) -> list[Callable[..., Any]]:
        return [self.plan_connector, self.create_schedule, self.fetch_page,
                self.terminate_workflows, self.delete_schedules, self.purge_connector,
                self.finish_task, self.update_schedule, self.copy_connector,
                self.record_instance, self.finish_instance, self.create_bank_account]


def _temporal_error(exc: PluginError) -> ApplicationError:
    if exc.kind is FailureKind.NON_RETRYABLE:
        return ApplicationError(exc.message, type=ErrorCode.VALIDATION, non_retryable=True)
    log.warning("provider call failed (%s): %s", exc.kind.value, exc.message)
    delay = exc.retry_after if exc.kind is FailureKind.RATE_LIMITED else None
    return ApplicationError(exc.message, type=ErrorCode.INTERNAL, next_retry_delay=delay)
