"""Payments v3: connectors polled on Temporal Schedules, the objects they ingest (accounts,
balances, payments with adjustments) and the tasks of asynchronous operations."""
