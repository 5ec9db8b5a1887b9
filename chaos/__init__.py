"""`make chaos`: the ledger under faults (see chaos/run.py). Never part of `make test`."""
