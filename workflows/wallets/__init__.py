"""The hold lifecycle on Temporal (Formance keeps holds in the ledger only; we add the
serialisation of confirm/void and the expiry on top of the same ledger mapping)."""
