"""What wallets need from the ledger: a subset of `LedgerService`, which satisfies it as is (the
wallets call the ledger in-process, no HTTP hop)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.ledger.models import Account, Command, Metadata, Transaction, WriteOptions, WriteResult
from domain.ledger.query import ListQuery, Page


class Ledger(Protocol):
    async def create_ledger(self, name: str, bucket: str | None, metadata: Metadata,
                            features: dict[str, str] | None) -> None: ...

    async def get_account(self, ledger: str, address: str, expand: tuple[str, ...] = (),
                          pit: datetime | None = None) -> Account: ...

    async def list_accounts(self, ledger: str, query: ListQuery) -> Page[Account]: ...

    async def list_transactions(self, ledger: str, query: ListQuery) -> Page[Transaction]: ...

    async def execute(self, ledger: str, command: Command,
                      options: WriteOptions) -> WriteResult: ...
