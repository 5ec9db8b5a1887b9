"""Task queue names: explicit strings, so a refactor never renames a queue under running workers."""

LEDGER = "ledgerflow-ledger"
PAYMENTS = "ledgerflow-payments"
ORCHESTRATION = "ledgerflow-orchestration"
WALLETS = "ledgerflow-wallets"
WEBHOOKS = "ledgerflow-webhooks"
RECONCILIATION = "ledgerflow-reconciliation"

ALL = (LEDGER, PAYMENTS, ORCHESTRATION, WALLETS, WEBHOOKS, RECONCILIATION)
