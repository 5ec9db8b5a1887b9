"""Ledger processes: pipelines replicating a ledger's logs to an exporter."""
