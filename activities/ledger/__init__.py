"""Ledger processes' side effects: pipelines reading logs and pushing them to exporters."""
