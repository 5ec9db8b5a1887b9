"""The reconciliation module's worker registration (composition root): the run workflow, and
activities that read the ledger's and payments' balances and store results."""

from __future__ import annotations

from activities.reconciliation.activities import ReconciliationActivities
from config.modules import ModuleSettings
from storage.database import Database
from storage.reconciliation.policies_store import PgPoliciesStore
from storage.reconciliation.sources import PgSources
from workers.registration import Registration
from workflows.reconciliation.all import WORKFLOWS


def register(database: Database, modules: ModuleSettings) -> Registration:
    settings = modules.reconciliation
    acts = ReconciliationActivities(PgSources(database), PgPoliciesStore(database))
    return Registration(settings.task_queue, list(WORKFLOWS), acts.all())
