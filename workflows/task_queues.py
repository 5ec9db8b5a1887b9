"""Task queue names. Explicit strings: a refactor must never rename a queue under running workers."""

LEDGER = "ledgerflow-ledger"
PAYMENTS = "ledgerflow-payments"
ORCHESTRATION = "ledgerflow-orchestration"
WALLETS = "ledgerflow-wallets"
WEBHOOKS = "ledgerflow-webhooks"
RECONCILIATION = "ledgerflow-reconciliation"

ALL = (LEDGER, PAYMENTS, ORCHESTRATION, WALLETS, WEBHOOKS, RECONCILIATION)
