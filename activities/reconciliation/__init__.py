"""Reconciliation activities: balances read from the ledger and payments, results stored."""
