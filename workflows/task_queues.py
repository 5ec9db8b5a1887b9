"""Task queue names: explicit strings, so a refactor never renames a queue under running workers.
Each module's default comes from its settings (config/<m>.py, overridable per deployment
through LEDGERFLOW_<M>_TASK_QUEUE)."""

from config import ledger, orchestration, payments, reconciliation, wallets, webhooks

LEDGER = ledger.TASK_QUEUE
PAYMENTS = payments.TASK_QUEUE
ORCHESTRATION = orchestration.TASK_QUEUE
WALLETS = wallets.TASK_QUEUE
WEBHOOKS = webhooks.TASK_QUEUE
RECONCILIATION = reconciliation.TASK_QUEUE

ALL = (LEDGER, PAYMENTS, ORCHESTRATION, WALLETS, WEBHOOKS, RECONCILIATION)
