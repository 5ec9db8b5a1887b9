"""`payments-open-banking-delete-<task>`: deletes a PSU's connection, its registration on a
connector, or the PSU itself (the three are 202 with a task in the spec), then finishes the
task. One activity, idempotent: a retried deletion deletes nothing more."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import DeleteOpenBankingInput
    from workflows.payments.inputs import OPEN_BANKING_DELETE_WORKFLOW, OpenBankingDeleteInput


@workflow.defn(name=OPEN_BANKING_DELETE_WORKFLOW)
class OpenBankingDeleteWorkflow:
    @workflow.run
    async def run(self, data: OpenBankingDeleteInput) -> None:
        await stubs.delete_open_banking(DeleteOpenBankingInput(
            task_id=data.task_id, psu_id=data.psu_id, connector_id=data.connector_id,
            connection_id=data.connection_id))
