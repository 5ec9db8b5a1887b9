"""`payments-reset-<connector>`: the connector is uninstalled and installed again under a new id
with the same config (Formance's reset). The new connector row is stored first, while the old
config still exists; its id comes from the workflow (workflow.uuid4), so a retried step finds
it. The task reports the new id as its created object."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import CopyConnectorInput, FinishTaskInput
    from domain.payments.models import TaskStatus
    from workflows.payments.inputs import (
        RESET_WORKFLOW,
        InstallInput,
        ResetInput,
        UninstallInput,
        install_workflow_id,
        uninstall_workflow_id,
    )
    from workflows.payments.install import InstallConnectorWorkflow
    from workflows.payments.uninstall import UninstallConnectorWorkflow


@workflow.defn(name=RESET_WORKFLOW)
class ResetConnectorWorkflow:
    @workflow.run
    async def run(self, data: ResetInput) -> str:
        copied = await stubs.copy_connector(CopyConnectorInput(
            connector_id=data.connector_id, new_reference=str(workflow.uuid4())))
        try:
            await workflow.execute_child_workflow(
                UninstallConnectorWorkflow.run, UninstallInput(connector_id=data.connector_id),
                id=uninstall_workflow_id(data.connector_id))
            await workflow.execute_child_workflow(
                InstallConnectorWorkflow.run, InstallInput(connector_id=copied.connector_id),
                id=install_workflow_id(copied.connector_id))
        except ChildWorkflowError as exc:
            await stubs.finish_task(FinishTaskInput(
                task_id=data.task_id, status=TaskStatus.FAILED.value,
                error=str(exc.cause or exc)))
            raise
        await stubs.finish_task(FinishTaskInput(
            task_id=data.task_id, status=TaskStatus.SUCCEEDED.value,
            created_object_id=copied.connector_id))
        return copied.connector_id
