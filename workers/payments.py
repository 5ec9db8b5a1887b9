"""The payments module's worker registration (composition root): the install, fetch and
uninstall workflows, and activities that reach storage, the providers (one shared HTTP client)
and Temporal (schedules; the worker's own client, through `activity.client()`)."""

from __future__ import annotations

import httpx

from activities.payments.activities import PaymentsActivities, ScheduleTarget
from activities.payments.initiation_activities import InitiationActivities
from activities.payments.open_banking_activities import OpenBankingActivities
from config.modules import ModuleSettings
from storage.database import Database
from storage.payments.initiations_store import PgInitiationsStore
from storage.payments.psu_store import PgPSUStore
from storage.payments.store import PgPaymentsStore
from workers.registration import Registration
from workflows import search_attributes
from workflows.payments.all import WORKFLOWS
from workflows.payments.inputs import FETCH_WORKFLOW


def register(database: Database, modules: ModuleSettings) -> Registration:
    settings = modules.payments
    # One client for the worker's lifetime: connections to providers are reused across pages.
    http = httpx.AsyncClient(timeout=settings.http_timeout.total_seconds())
    store = PgPaymentsStore(database)
    acts = PaymentsActivities(store, http,
                              ScheduleTarget(FETCH_WORKFLOW, search_attributes.CONNECTOR_ID),
                              pause_after_failures=settings.pause_after_failures)
    initiations = InitiationActivities(PgInitiationsStore(database), store, http,
                                       sends_per_second=settings.sends_per_second,
                                       poll_interval=settings.initiation_poll_interval)
    open_banking = OpenBankingActivities(PgPSUStore(database), store, http)
    return Registration(settings.task_queue, list(WORKFLOWS),
                        acts.all() + initiations.all() + open_banking.all(),
                        on_close=[http.aclose])
