"""Activities of the hold workflow: each posts one ledger transaction through the wallets
service, with an idempotency key per workflow action."""
