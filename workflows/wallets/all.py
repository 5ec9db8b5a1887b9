"""Every wallets workflow, for worker registration and replay."""

from workflows.wallets.hold import HoldWorkflow

WORKFLOWS: list[type] = [HoldWorkflow]
