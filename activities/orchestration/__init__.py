"""Activities of the flow instance workflow: its bookkeeping (instance and stage statuses, with
their events) and the stage work (ledger, wallets and payments calls), each recording its own
history row, which the stage history endpoint serves."""
