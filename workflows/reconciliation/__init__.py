"""Reconciliation workflows: policy runs and rule evaluations."""
