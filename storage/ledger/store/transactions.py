"""Transaction reads: one, a page, a count, with post-commit volumes on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import distinct_on

from domain.ledger.models import (
    Posting,
    Transaction,
)
from domain.ledger.query import ListQuery, Page, make_page
from storage.ledger import filters
from storage.ledger.store.keys import attr_key, page_key, volumes_of
from storage.ledger.store.unit_of_work import StoreBase
from storage.ledger.tables import moves, transactions


class TransactionsStore(StoreBase):
    @staticmethod
    def _transaction(row: Any) -> Transaction:
        return Transaction(
            id=row.id,
            postings=[Posting(p["source"], p["destination"], int(p["amount"]), p["asset"])
                      for p in row.postings],
            metadata=row.metadata, timestamp=row.timestamp, inserted_at=row.inserted_at,
            updated_at=row.updated_at, reference=row.reference, reverted_at=row.reverted_at,
            template=row.template,
        )

    async def get_transaction(self, ledger: str, transaction_id: int,
                              expand: tuple[str, ...] = (), pit: datetime | None = None
                              ) -> Transaction | None:
        stmt = select(transactions).where(transactions.c.ledger == ledger,
                                          transactions.c.id == transaction_id)
        rows = await self._rows(stmt)
        if not rows:
            return None
        txs = [self._transaction(rows[0])]
        await self._expand_transactions(ledger, txs, expand)
        return txs[0]

    def _transactions_stmt(self, ledger: str, q: ListQuery) -> Select[Any]:
        return select(transactions).where(
            transactions.c.ledger == ledger,
            filters.transactions_filter(q.filter, pit=q.pit, oot=q.oot),
        )

    async def list_transactions(self, ledger: str, query: ListQuery) -> Page[Transaction]:
        rows = await self._rows(filters.paginate(self._transactions_stmt(ledger, query), query))
        txs = [self._transaction(r) for r in rows]
        await self._expand_transactions(ledger, txs, query.expand)
        return make_page(query, txs, page_key(query, attr_key))

    async def count_transactions(self, ledger: str, query: ListQuery) -> int:
        inner = self._transactions_stmt(ledger, query).subquery()
        rows = await self._rows(select(func.count()).select_from(inner))
        return int(rows[0][0])

    async def _expand_transactions(self, ledger: str, txs: list[Transaction],
                                   expand: tuple[str, ...]) -> None:
        """Post-commit (effective) volumes of each transaction: those of its last move per
        account and asset."""
        if not expand or not txs:
            return
        m = moves.c
        last = (
            select(m.transaction_id, m.account_address, m.asset,
                   m.post_commit_volumes_input, m.post_commit_volumes_output,
                   m.post_commit_effective_volumes_input, m.post_commit_effective_volumes_output)
            .where(m.ledger == ledger, m.transaction_id.in_([t.id for t in txs]))
            .ext(distinct_on(m.transaction_id, m.account_address, m.asset))
            .order_by(m.transaction_id, m.account_address, m.asset, m.seq.desc())
        )
        by_id = {t.id: t for t in txs}
        for t in txs:
            if "volumes" in expand:
                t.post_commit_volumes = {}
            if "effectiveVolumes" in expand:
                t.post_commit_effective_volumes = {}
        for r in await self._rows(last):
            t = by_id[r.transaction_id]
            if t.post_commit_volumes is not None:
                t.post_commit_volumes.setdefault(r.account_address, {})[r.asset] = volumes_of(
                    r.post_commit_volumes_input, r.post_commit_volumes_output)
            if (effective := t.post_commit_effective_volumes) is not None:
                effective.setdefault(r.account_address, {})[r.asset] = volumes_of(
                    r.post_commit_effective_volumes_input, r.post_commit_effective_volumes_output)
