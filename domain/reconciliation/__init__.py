"""Reconciliation: policies and their runs (ledger against a payments pool), rules, their
evaluations and the alerts failing evaluations open."""
