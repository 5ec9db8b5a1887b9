"""Every reconciliation workflow, for worker registration and replay."""

from workflows.reconciliation.run import ReconciliationRunWorkflow

WORKFLOWS: list[type] = [ReconciliationRunWorkflow]
