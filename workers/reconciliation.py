"""The reconciliation module's worker registration (composition root): the run, evaluation and
schedule-sync workflows, and activities that read the ledger's and payments' balances, store
results and alerts, and manage rules' Temporal Schedules (the worker's own client, through
`activity.client()`)."""

from __future__ import annotations

from activities.reconciliation.activities import ReconciliationActivities
from activities.reconciliation.schedules import ScheduleTarget
from config.modules import ModuleSettings
from storage.database import Database
from storage.reconciliation.alerts_store import PgAlertsStore
from storage.reconciliation.policies_store import PgPoliciesStore
from storage.reconciliation.rules_store import PgRulesStore
from storage.reconciliation.sources import PgSources
from workers.registration import Registration
from workflows import search_attributes
from workflows.reconciliation.all import WORKFLOWS
from workflows.reconciliation.inputs import EVALUATE_WORKFLOW


def register(database: Database, modules: ModuleSettings) -> Registration:
    settings = modules.reconciliation
    acts = ReconciliationActivities(
        PgSources(database), PgPoliciesStore(database), PgRulesStore(database),
        PgAlertsStore(database),
        ScheduleTarget(EVALUATE_WORKFLOW, search_attributes.CONFIG_ID, search_attributes.KIND))
    return Registration(settings.task_queue, list(WORKFLOWS), acts.all())
