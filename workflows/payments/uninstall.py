"""`payments-uninstall-<connector>`: stops everything of the connector, then deletes its data,
and reports on the task the API returned. Running workflows are terminated before and after the
schedules are deleted: an install still running could otherwise create a schedule after the
deletion, and a schedule could start a fetch just before it."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import ConnectorRef, FinishTaskInput
    from domain.payments.models import TaskStatus
    from workflows.payments.inputs import UNINSTALL_WORKFLOW, UninstallInput


@workflow.defn(name=UNINSTALL_WORKFLOW)
class UninstallConnectorWorkflow:
    @workflow.run
    async def run(self, data: UninstallInput) -> None:
        ref = ConnectorRef(connector_id=data.connector_id)
        try:
            await stubs.terminate_workflows(ref)
            deleted = await stubs.delete_schedules(ref)
            await stubs.terminate_workflows(ref)
            await stubs.purge_connector(ref)
        except ActivityError as exc:
            if data.task_id is not None:
                await stubs.finish_task(FinishTaskInput(
                    task_id=data.task_id, status=TaskStatus.FAILED.value,
                    error=str(exc.cause or exc)))
            raise
        workflow.set_current_details(f"{deleted.count} schedules deleted, data purged")
        if data.task_id is not None:
            await stubs.finish_task(FinishTaskInput(task_id=data.task_id,
                                                    status=TaskStatus.SUCCEEDED.value))
