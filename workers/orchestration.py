"""The orchestration module's worker registration (composition root): the flow instance
workflow and its activities, which reach the ledger, the wallets and payments through their
services and record statuses and history in the orchestration tables. Sends to a payment
destination create payment initiations through the payments service; their workflow is started
on the payments task queue with the payments module's own start spec, through the client of
the running activity."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import WithStartWorkflowOperation

from activities.orchestration.activities import OrchestrationActivities
from activities.orchestration.initiations import InitiationActivities
from config.modules import ModuleSettings
from domain.ledger.service import LedgerService
from domain.orchestration.money import MoneyMover
from domain.payments.initiation_requests import ReversalRequest
from domain.payments.initiations import PaymentInitiation
from domain.payments.initiations_service import PaymentInitiationsService
from domain.payments.service import PaymentsService
from storage.database import Database
from storage.ledger.store import PgLedgerStore
from storage.orchestration.store import PgOrchestrationStore
from storage.payments.initiations_store import PgInitiationsStore
from storage.payments.store import PgPaymentsStore
from storage.wallets import wallets_service
from workers.registration import Registration
from workflows.orchestration.all import WORKFLOWS
from workflows.payments.inputs import APPROVE_UPDATE, TaskRef, initiation_start
from workflows.start import start_options


class ActivityInitiationWorkflows:
    """The payments service's InitiationWorkflows port for a create made by an activity: only
    `start` and `approve` are used (the flow creates, with or without validation; the payments
    API does the rest)."""

    def __init__(self, task_queue: str) -> None:
        self.task_queue = task_queue

    async def start(self, initiation: PaymentInitiation) -> None:
        spec = initiation_start(initiation)
        await activity.client().start_workflow(spec.workflow, spec.arg,
                                               **start_options(spec, self.task_queue))

    async def approve(self, initiation: PaymentInitiation) -> str:
        # Started and approved in one call, as the payments API does for noValidation.
        spec = initiation_start(initiation)
        ref: TaskRef = await activity.client().execute_update_with_start_workflow(
            APPROVE_UPDATE, start_workflow_operation=WithStartWorkflowOperation(
                spec.workflow, spec.arg, **start_options(spec, self.task_queue)),
            result_type=TaskRef)
        return ref.task_id

    async def reject(self, initiation: PaymentInitiation) -> None:
        raise NotImplementedError

    async def retry(self, initiation: PaymentInitiation) -> str:
        raise NotImplementedError

    async def reverse(self, initiation: PaymentInitiation,
                      request: ReversalRequest) -> tuple[str, str]:
        raise NotImplementedError

    async def delete(self, initiation: PaymentInitiation) -> None:
        raise NotImplementedError


def register(database: Database, modules: ModuleSettings) -> Registration:
    ledger = LedgerService(PgLedgerStore(database))
    wallets = wallets_service(database, modules.wallets, ledger)
    recorder = PgOrchestrationStore(database)
    payments_store = PgPaymentsStore(database)
    payments = PaymentsService(payments_store,
                               min_polling_period=modules.payments.min_polling_period)
    acts = OrchestrationActivities(recorder, MoneyMover(ledger, wallets), payments)
    initiations = InitiationActivities(
        recorder, ledger, wallets,
        PaymentInitiationsService(PgInitiationsStore(database), payments_store,
                                  ActivityInitiationWorkflows(modules.payments.task_queue)),
        payments_store)
    return Registration(modules.orchestration.task_queue, list(WORKFLOWS),
                        acts.all() + initiations.all())
