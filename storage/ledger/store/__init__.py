"""The ledger store: the domain port (domain/ledger/ports.py `LedgerStore`) over PostgreSQL, one
file per seam like the port:

unit_of_work.py  the write side every seam builds on: pool, group commit, `writer`
ledgers.py       ledgers, buckets, v1 mappings
transactions.py  transaction reads
accounts.py      account reads, aggregated balances, volumes
logs.py          log pages, the hash chain's head, export and import
schemas.py       schema versions
keys.py          row helpers the reads share

Writes go through PgLedgerWriter (raw asyncpg, storage/ledger/writes.py); reads are SQLAlchemy
Core with the filter compiler (storage/ledger/filters.py)."""

from __future__ import annotations

from storage.ledger.store.accounts import AccountsStore
from storage.ledger.store.ledgers import LedgersStore
from storage.ledger.store.logs import LogsStore
from storage.ledger.store.schemas import SchemasStore
from storage.ledger.store.transactions import TransactionsStore


class PgLedgerStore(LedgersStore, TransactionsStore, AccountsStore, LogsStore, SchemasStore):
    """Every seam of the ledger store on one Database."""


__all__ = ["PgLedgerStore"]
