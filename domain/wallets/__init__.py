"""Wallets: the Formance wallets API as a façade over one ledger (reference §4)."""
