"""The `generic` connector: polls any HTTP server implementing Formance's generic-openapi.yaml
(accounts, balances, beneficiaries, transactions)."""
