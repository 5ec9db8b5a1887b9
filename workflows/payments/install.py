"""`payments-install-<connector>`: reads the connector's plan (capabilities and polling period,
through an activity so the period is in history) and creates one Temporal Schedule per fetch
capability, each triggered at once."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import ConnectorRef, CreateScheduleInput
    from workflows.payments.inputs import (
        INSTALL_WORKFLOW,
        InstallInput,
        InstallResult,
        jitter,
        schedule_id,
    )


@workflow.defn(name=INSTALL_WORKFLOW)
class InstallConnectorWorkflow:
    @workflow.run
    async def run(self, data: InstallInput) -> InstallResult:
        plan = await stubs.plan_connector(ConnectorRef(connector_id=data.connector_id))
        period = timedelta(seconds=plan.polling_period_seconds)
        created = []
        for capability in plan.capabilities:
            sid = schedule_id(plan.connector_id, capability)
            await stubs.create_schedule(CreateScheduleInput(
                connector_id=plan.connector_id, capability=capability, schedule_id=sid,
                every_seconds=period.total_seconds(),
                jitter_seconds=jitter(period).total_seconds()))
            created.append(sid)
            workflow.set_current_details(f"{len(created)} of {len(plan.capabilities)} "
                                         f"schedules created, every {period}")
        return InstallResult(schedules=created)
