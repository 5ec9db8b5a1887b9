"""Reconciliation storage: policies, runs, rules, evaluations, alerts (migration 0013)."""
