"""`payments-forward-bank-account-<task>`: the connector's provider creates an external account
for a bank account (one activity, which stores it with the bank account's link to it), and the
task reports the new account's id, or the provider's refusal."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.payments import contracts as c
    from activities.payments import stubs
    from domain.payments.models import TaskStatus
    from workflows.payments.inputs import FORWARD_BANK_ACCOUNT_WORKFLOW, ForwardBankAccountInput


@workflow.defn(name=FORWARD_BANK_ACCOUNT_WORKFLOW)
class ForwardBankAccountWorkflow:
    @workflow.run
    async def run(self, data: ForwardBankAccountInput) -> str:
        try:
            created = await stubs.create_bank_account(c.ForwardBankAccountInput(
                bank_account_id=data.bank_account_id, connector_id=data.connector_id))
        except ActivityError as exc:
            await stubs.finish_task(c.FinishTaskInput(
                task_id=data.task_id, status=TaskStatus.FAILED.value,
                error=str(exc.cause or exc)))
            raise
        await stubs.finish_task(c.FinishTaskInput(
            task_id=data.task_id, status=TaskStatus.SUCCEEDED.value,
            created_object_id=created.object_id))
        return created.object_id
