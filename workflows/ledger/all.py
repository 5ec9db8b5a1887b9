"""Every ledger workflow, for worker registration and replay."""

from workflows.ledger.pipeline import LedgerPipelineWorkflow

WORKFLOWS: list[type] = [LedgerPipelineWorkflow]
