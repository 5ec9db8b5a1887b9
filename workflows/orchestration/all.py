"""Every orchestration workflow, for worker registration and replay."""

from workflows.orchestration.instance import FlowInstanceWorkflow

WORKFLOWS: list[type] = [FlowInstanceWorkflow]
