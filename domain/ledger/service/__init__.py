"""Ledger use-cases, one file per seam of the Formance ledger, composed into `LedgerService`:

ledgers.py       ledgers and buckets (create, metadata, stats, soft delete, v1 auto-creation)
reads.py         transactions, accounts, balances, volumes and logs of a ledger
schemas.py       schema versions, the version a write follows, templates
writes.py        one command's unit of work: create and revert a transaction, the set-based path
metadata.py      metadata writes on transactions and accounts
bulk.py          many commands in one request
logs.py          log export and import
scripts.py       how a Numscript run reads the ledger (locked reads, or none)
unit_of_work.py  retries, backoff, and answers from a log already written

Each seam is a class built on the ones it uses (`Ledgers` at the root), so each file imports
only what is below it and the composition has no cycle."""

from __future__ import annotations

from domain.ledger.service.bulk import MAX_BULK_ELEMENTS, Bulk, BulkElement, BulkOutcome
from domain.ledger.service.ledgers import utcnow
from domain.ledger.service.logs import Logs
from domain.ledger.service.reads import Reads
from domain.ledger.service.unit_of_work import MAX_ATTEMPTS


class LedgerService(Bulk, Reads, Logs):
    """Every ledger use-case, on one `LedgerStore`: what the API, the wallets and the
    pipelines are given."""


__all__ = [
    "MAX_ATTEMPTS",
    "MAX_BULK_ELEMENTS",
    "BulkElement",
    "BulkOutcome",
    "LedgerService",
    "utcnow",
]
