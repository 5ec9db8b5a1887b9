"""The ledger module's worker registration (composition root): the pipeline workflow and its
export activity."""

from __future__ import annotations

from activities.ledger.activities import LedgerPipelineActivities
from config.modules import ModuleSettings
from storage.database import Database
from workers.registration import Registration
from workflows.ledger.all import WORKFLOWS


def register(database: Database, modules: ModuleSettings) -> Registration:
    acts = LedgerPipelineActivities(database,
                                    http_timeout=modules.pipelines.exporter_http_timeout)
    return Registration(modules.pipelines.task_queue, list(WORKFLOWS), acts.all(),
                        on_close=[acts.client.aclose])
