"""The orchestration module's worker registration (composition root): the flow instance
workflow and its activities, which reach the ledger, the wallets and payments through their
services and record statuses and history in the orchestration tables."""

from __future__ import annotations

from activities.orchestration.activities import OrchestrationActivities
from config.modules import ModuleSettings
from domain.ledger.service import LedgerService
from domain.orchestration.money import MoneyMover
from domain.payments.service import PaymentsService
from storage.database import Database
from storage.ledger.store import PgLedgerStore
from storage.orchestration.store import PgOrchestrationStore
from storage.payments.store import PgPaymentsStore
from storage.wallets import wallets_service
from workers.registration import Registration
from workflows.orchestration.all import WORKFLOWS


def register(database: Database, modules: ModuleSettings) -> Registration:
    ledger = LedgerService(PgLedgerStore(database))
    mover = MoneyMover(ledger, wallets_service(database, modules.wallets, ledger))
    payments = PaymentsService(PgPaymentsStore(database),
                               min_polling_period=modules.payments.min_polling_period)
    acts = OrchestrationActivities(PgOrchestrationStore(database), mover, payments)
    return Registration(modules.orchestration.task_queue, list(WORKFLOWS), acts.all())
