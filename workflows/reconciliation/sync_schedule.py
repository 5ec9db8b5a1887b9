"""`reconciliation-rule-<id>-schedule-sync`: makes the rule's Temporal Schedule match the rule as
stored (created, updated, paused or resumed, or deleted), after every rule change."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.reconciliation import stubs
    from activities.reconciliation.contracts import RuleRef
    from workflows.reconciliation.inputs import SYNC_SCHEDULE_WORKFLOW, SyncInput, SyncResult


@workflow.defn(name=SYNC_SCHEDULE_WORKFLOW)
class RuleScheduleSyncWorkflow:
    @workflow.run
    async def run(self, data: SyncInput) -> SyncResult:
        state = await stubs.sync_rule_schedule(RuleRef(rule_id=data.rule_id))
        return SyncResult(state=state.state)
