"""Every reconciliation workflow, for worker registration and replay."""

from workflows.reconciliation.evaluate import RuleEvaluationWorkflow
from workflows.reconciliation.run import ReconciliationRunWorkflow
from workflows.reconciliation.sync_schedule import RuleScheduleSyncWorkflow

WORKFLOWS: list[type] = [ReconciliationRunWorkflow, RuleEvaluationWorkflow,
                         RuleScheduleSyncWorkflow]
