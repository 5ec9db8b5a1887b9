"""Ledgers and buckets, and the v1 API's stored mapping of a ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    func,
    literal,
    select,
)
from sqlalchemy.exc import IntegrityError

from domain.ledger.errors import (
    LedgerAlreadyExistsError,
)
from domain.ledger.models import (
    Ledger,
    Metadata,
    Stats,
)
from domain.ledger.query import ListQuery, Page, make_page
from storage.ledger import filters, schemas_store
from storage.ledger.store.keys import ledger_key, page_key
from storage.ledger.store.unit_of_work import StoreBase
from storage.ledger.tables import accounts, ledgers, transactions


class LedgersStore(StoreBase):
    async def ledger_exists(self, name: str) -> bool:
        if name in self._known_ledgers:
            return True
        rows = await self._rows(select(ledgers.c.id).where(
            ledgers.c.name == name, ledgers.c.deleted_at.is_(None)))  # soft-deleted: unknown
        if rows:
            self._known_ledgers.add(name)
        return bool(rows)

    async def create_ledger(self, ledger: Ledger) -> None:
        try:
            async with self.db.transaction() as conn:
                await conn.execute(ledgers.insert().values(
                    name=ledger.name, bucket=ledger.bucket, metadata=ledger.metadata,
                    features=ledger.features, added_at=ledger.added_at,
                ))
        except IntegrityError:
            raise LedgerAlreadyExistsError(ledger.name) from None
        self._known_ledgers.add(ledger.name)

    @staticmethod
    def _ledger(row: Any) -> Ledger:
        return Ledger(id=row.id, name=row.name, bucket=row.bucket, metadata=row.metadata,
                      features=row.features, added_at=row.added_at, deleted_at=row.deleted_at)

    async def get_ledger(self, name: str) -> Ledger | None:
        rows = await self._rows(select(ledgers).where(ledgers.c.name == name))
        return self._ledger(rows[0]) if rows else None

    async def list_ledgers(self, query: ListQuery) -> Page[Ledger]:
        stmt = select(ledgers).where(filters.ledgers_filter(query.filter))
        if not query.options.get("includeDeleted"):
            stmt = stmt.where(ledgers.c.deleted_at.is_(None))
        rows = await self._rows(filters.paginate(stmt, query))
        return make_page(query, [self._ledger(r) for r in rows], page_key(query, ledger_key))

    async def update_ledger_metadata(self, name: str, metadata: Metadata) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(ledgers.update().where(ledgers.c.name == name).values(
                metadata=ledgers.c.metadata.op("||")(literal(metadata, ledgers.c.metadata.type))
            ))

    async def delete_ledger_metadata(self, name: str, key: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(ledgers.update().where(ledgers.c.name == name).values(
                metadata=ledgers.c.metadata.op("-")(literal(key))
            ))

    async def stats(self, ledger: str) -> Stats:
        n_accounts = select(func.count()).select_from(accounts).where(accounts.c.ledger == ledger)
        n_tx = select(func.count()).select_from(transactions).where(
            transactions.c.ledger == ledger)
        rows = await self._rows(select(n_accounts.scalar_subquery(), n_tx.scalar_subquery()))
        return Stats(accounts=int(rows[0][0]), transactions=int(rows[0][1]))

    async def set_bucket_deleted(self, bucket: str, deleted_at: datetime | None) -> int:
        async with self.db.transaction() as conn:
            rows = (await conn.execute(
                ledgers.update().where(ledgers.c.bucket == bucket)
                .values(deleted_at=deleted_at).returning(ledgers.c.name))).all()
        if deleted_at is not None:
            # This process stops serving them at once (other replicas: see ledger_exists).
            self._known_ledgers.difference_update(r.name for r in rows)
        return len(rows)

    async def get_v1_mapping(self, ledger: str) -> dict[str, Any] | None:
        t = schemas_store.ledger_v1_mappings
        rows = await self._rows(select(t.c.mapping).where(t.c.ledger == ledger))
        return dict(rows[0][0]) if rows else None

    async def save_v1_mapping(self, ledger: str, mapping: dict[str, Any]) -> None:
        from sqlalchemy.dialects.postgresql import insert

        t = schemas_store.ledger_v1_mappings
        stmt = insert(t).values(ledger=ledger, mapping=mapping)
        async with self.db.transaction() as conn:
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[t.c.ledger], set_={"mapping": stmt.excluded.mapping}))
