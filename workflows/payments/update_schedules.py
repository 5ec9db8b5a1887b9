"""`payments-update-schedules-<connector>`: after a config change, every schedule of the
connector takes the configured polling period (read through an activity, so it is in history)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import ConnectorRef, UpdateScheduleInput
    from workflows.payments.inputs import (
        UPDATE_SCHEDULES_WORKFLOW,
        InstallInput,
        InstallResult,
        jitter,
        schedule_id,
    )


@workflow.defn(name=UPDATE_SCHEDULES_WORKFLOW)
class UpdateSchedulesWorkflow:
    @workflow.run
    async def run(self, data: InstallInput) -> InstallResult:
        plan = await stubs.plan_connector(ConnectorRef(connector_id=data.connector_id))
        period = timedelta(seconds=plan.polling_period_seconds)
        updated = []
        for capability in plan.capabilities:
            sid = schedule_id(plan.connector_id, capability)
            done = await stubs.update_schedule(UpdateScheduleInput(
                schedule_id=sid, every_seconds=period.total_seconds(),
                jitter_seconds=jitter(period).total_seconds(), connector_id=plan.connector_id))
            if done.count:
                updated.append(sid)
        workflow.set_current_details(f"{len(updated)} schedules now every {period}")
        return InstallResult(schedules=updated)
