"""The ledger worker registration (composition root): the pipeline workflow and its activity."""

from __future__ import annotations

from activities.ledger.activities import LedgerPipelineActivities
from config.settings import Settings
from storage.database import Database
from workers.registry import Registration
from workflows import task_queues
from workflows.ledger.pipeline import LedgerPipelineWorkflow

WORKFLOWS: list[type] = [LedgerPipelineWorkflow]


def register(settings: Settings, database: Database) -> dict[str, Registration]:
    del settings
    return {task_queues.LEDGER: Registration(
        workflows=list(WORKFLOWS), activities=LedgerPipelineActivities(database).all())}
