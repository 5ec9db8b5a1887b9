"""Reads: transactions, accounts, balances, volumes and logs of one ledger, each list a keyset
page of a parsed `ListQuery` (domain/ledger/query)."""

from __future__ import annotations

from datetime import datetime

from domain.ledger.errors import AccountNotFoundError, TransactionNotFoundError
from domain.ledger.models import Account, Log, Transaction, VolumeRow
from domain.ledger.query import ListQuery, Page
from domain.ledger.service.ledgers import Ledgers
from domain.ledger.validation import validate_address


class Reads(Ledgers):
    async def get_transaction(self, ledger: str, transaction_id: int,
                              expand: tuple[str, ...] = (), pit: datetime | None = None
                              ) -> Transaction:
        await self.require_ledger(ledger)
        tx = await self.store.get_transaction(ledger, transaction_id, expand, pit)
        if tx is None:
            raise TransactionNotFoundError(transaction_id)
        return tx

    async def list_transactions(self, ledger: str, query: ListQuery) -> Page[Transaction]:
        await self.require_ledger(ledger)
        return await self.store.list_transactions(ledger, query)

    async def count_transactions(self, ledger: str, query: ListQuery) -> int:
        await self.require_ledger(ledger)
        return await self.store.count_transactions(ledger, query)

    async def get_account(self, ledger: str, address: str, expand: tuple[str, ...] = (),
                          pit: datetime | None = None) -> Account:
        await self.require_ledger(ledger)
        validate_address(address)
        account = await self.store.get_account(ledger, address, expand, pit)
        if account is None:
            raise AccountNotFoundError(address)
        return account

    async def list_accounts(self, ledger: str, query: ListQuery) -> Page[Account]:
        await self.require_ledger(ledger)
        return await self.store.list_accounts(ledger, query)

    async def count_accounts(self, ledger: str, query: ListQuery) -> int:
        await self.require_ledger(ledger)
        return await self.store.count_accounts(ledger, query)

    async def aggregate_balances(self, ledger: str, query: ListQuery) -> dict[str, int]:
        await self.require_ledger(ledger)
        return await self.store.aggregate_balances(ledger, query)

    async def list_volumes(self, ledger: str, query: ListQuery) -> Page[VolumeRow]:
        await self.require_ledger(ledger)
        return await self.store.list_volumes(ledger, query)

    async def list_logs(self, ledger: str, query: ListQuery) -> Page[Log]:
        await self.require_ledger(ledger)
        return await self.store.list_logs(ledger, query)
