"""The balances a reconciliation reads, through the ledger's and payments' own read functions
and filter compiler (never over HTTP): the ledger's aggregated balances of a filter at a point in
time, and a payments pool's balances at a time.

The aggregate at a point in time is the ledger's own definition (per matched account and asset,
the post-commit effective volumes of its latest move at or before the point in time, summed per
asset), read with one index probe per account and asset (a LATERAL over `ix_moves_effective`)
instead of the ledger endpoint's DISTINCT ON, which sorts every move of the matched accounts:
over 10,000 accounts and 1,000,000 transactions that is about 10,000 probes instead of
1,000,000 rows sorted (README, Performance). tests/integration/reconciliation checks both
agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true

from domain.ledger.errors import LedgerNotFoundError
from domain.ledger.query import parse_list_query
from domain.ledger.query.fields import Resource
from domain.ledger.query.params import MAX_PAGE_SIZE
from domain.ledger.service import LedgerService
from domain.reconciliation.errors import SourceNotFoundError
from storage.database import Database
from storage.ledger import filters
from storage.ledger.store import PgLedgerStore
from storage.ledger.tables import accounts, accounts_volumes, moves
from storage.payments.store import PgPaymentsStore


class PgSources:
    def __init__(self, database: Database, ledger: LedgerService | None = None) -> None:
        self.database = database
        self.ledger = ledger or LedgerService(PgLedgerStore(database))
        self.payments = PgPaymentsStore(database)

    async def check_ledger(self, ledger: str) -> None:
        try:
            await self.ledger.require_ledger(ledger)
        except LedgerNotFoundError:
            raise SourceNotFoundError(f"ledger {ledger!r} not found") from None

    async def check_pool(self, pool_id: str) -> None:
        if await self.payments.get_pool(pool_id) is None:
            raise SourceNotFoundError(f"pool {pool_id!r} not found")

    async def ledger_balances(self, ledger: str, query: dict[str, Any],
                              at: datetime) -> dict[str, int]:
        await self.check_ledger(ledger)
        q = parse_list_query(Resource.ACCOUNTS, query=query or None)
        matching = select(accounts.c.address).where(
            accounts.c.ledger == ledger, filters.accounts_filter(q.filter, pit=at))
        v, m = accounts_volumes.c, moves.c
        latest = (select((m.post_commit_effective_volumes_input
                          - m.post_commit_effective_volumes_output).label("balance"))
                  .where(m.ledger == v.ledger, m.account_address == v.address,
                         m.asset == v.asset, m.effective_date <= at)
                  .order_by(m.effective_date.desc(), m.seq.desc()).limit(1)).lateral()
        stmt = (select(v.asset, func.sum(latest.c.balance).label("balance"))
                .select_from(accounts_volumes.join(latest, true()))
                .where(v.ledger == ledger, v.address.in_(matching))
                .group_by(v.asset).order_by(v.asset))
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {r.asset: int(r.balance) for r in rows}

    async def ledger_split(self, ledger: str, query: dict[str, Any], at: datetime
                           ) -> tuple[dict[str, int], dict[str, int]]:
        """Per asset, the sum of the matched accounts' positive balances and of their negative
        ones at `at` (effective date, as aggregated balances), page by page."""
        positive: dict[str, int] = {}
        negative: dict[str, int] = {}
        q = replace(parse_list_query(Resource.ACCOUNTS, query=query or None,
                                     page_size=MAX_PAGE_SIZE, expand=["effectiveVolumes"]),
                    pit=at)
        try:
            while True:
                page = await self.ledger.list_accounts(ledger, q)
                for account in page.data:
                    for asset, volumes in (account.effective_volumes or {}).items():
                        side = positive if volumes.balance > 0 else negative
                        side[asset] = side.get(asset, 0) + volumes.balance
                if page.next is None:
                    return positive, negative
                q = parse_list_query(Resource.ACCOUNTS, cursor=page.next)
        except LedgerNotFoundError:
            raise SourceNotFoundError(f"ledger {ledger!r} not found") from None

    async def pool_balances(self, pool_id: str, at: datetime) -> dict[str, int]:
        await self.check_pool(pool_id)
        return {b.asset: b.amount for b in await self.payments.pool_balances(pool_id, at)}
