"""Schema versions of a ledger."""

from __future__ import annotations

from sqlalchemy import (
    select,
)

from domain.ledger.ports import LogDraft
from domain.ledger.schemas import LedgerSchema
from storage.ledger import schemas_store
from storage.ledger.store.unit_of_work import StoreBase


class SchemasStore(StoreBase):
    async def has_schemas(self, ledger: str) -> bool:
        t = schemas_store.ledger_schemas
        rows = await self._rows(select(t.c.version).where(t.c.ledger == ledger).limit(1))
        return bool(rows)

    async def get_schema(self, ledger: str, version: str) -> LedgerSchema | None:
        t = schemas_store.ledger_schemas
        rows = await self._rows(select(t).where(t.c.ledger == ledger, t.c.version == version))
        return schemas_store.schema_from_row(rows[0]._mapping) if rows else None

    async def list_schemas(self, ledger: str, offset: int, limit: int, descending: bool
                           ) -> list[LedgerSchema]:
        t = schemas_store.ledger_schemas
        order = (t.c.created_at.desc(), t.c.version.desc()) if descending else (
            t.c.created_at, t.c.version)
        rows = await self._rows(select(t).where(t.c.ledger == ledger).order_by(*order)
                                .offset(offset).limit(limit))
        return [schemas_store.schema_from_row(r._mapping) for r in rows]

    async def insert_schema(self, ledger: str, schema: LedgerSchema, log: LogDraft) -> int:
        # Its own transaction: a duplicate version must not abort a shared group commit.
        async with self.writer(ledger, atomic=True) as w:
            return await schemas_store.insert_schema(w.conn, ledger, schema, log)
