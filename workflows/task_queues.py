"""Task queue names: explicit strings, so a refactor never renames a queue under running workers.
A served module's default comes from its settings (config/<m>.py, overridable per deployment
through LEDGERFLOW_<M>_TASK_QUEUE); the others are reserved here until their module lands."""

from config import ledger, payments, wallets, webhooks

LEDGER = ledger.TASK_QUEUE
PAYMENTS = payments.TASK_QUEUE
ORCHESTRATION = "ledgerflow-orchestration"
WALLETS = wallets.TASK_QUEUE
WEBHOOKS = webhooks.TASK_QUEUE
RECONCILIATION = "ledgerflow-reconciliation"

ALL = (LEDGER, PAYMENTS, ORCHESTRATION, WALLETS, WEBHOOKS, RECONCILIATION)
