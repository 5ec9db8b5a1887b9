"""The log: a filtered page, the head of the hash chain, the stream in id order for export, and
an import in one database transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy import (
    select,
)

from domain.ledger.models import (
    Log,
)
from domain.ledger.query import ListQuery, Page, make_page
from storage.ledger import filters
from storage.ledger.importer import PgLogImporter
from storage.ledger.store.keys import attr_key, page_key
from storage.ledger.store.unit_of_work import StoreBase, finishing
from storage.ledger.tables import ledgers, logs


class LogsStore(StoreBase):
    async def list_logs(self, ledger: str, query: ListQuery) -> Page[Log]:
        stmt = select(logs).where(logs.c.ledger == ledger,
                                  filters.logs_filter(query.filter, pit=query.pit, oot=query.oot))
        rows = await self._rows(filters.paginate(stmt, query))
        items = [Log(id=r.id, type=r.type, data=r.data, date=r.date, hash=r.hash,
                     idempotency_key=r.idempotency_key, idempotency_hash=r.idempotency_hash)
                 for r in rows]
        return make_page(query, items, page_key(query, attr_key))

    async def log_head(self, ledger: str) -> tuple[int, bytes | None]:
        rows = await self._rows(select(ledgers.c.last_log_id, ledgers.c.last_log_hash)
                                .where(ledgers.c.name == ledger))
        return (int(rows[0][0]), rows[0][1]) if rows else (0, None)

    async def read_logs(self, ledger: str, after_id: int, limit: int) -> list[Log]:
        rows = await self._rows(select(logs).where(logs.c.ledger == ledger, logs.c.id > after_id)
                                .order_by(logs.c.id).limit(limit))
        return [Log(id=r.id, type=r.type, data=r.data, date=r.date, hash=r.hash,
                    idempotency_key=r.idempotency_key, idempotency_hash=r.idempotency_hash)
                for r in rows]

    @asynccontextmanager
    async def importer(self, ledger: str) -> AsyncIterator[PgLogImporter]:
        async with self.db.engine.connect() as sa_conn:
            raw = await sa_conn.get_raw_connection()
            conn: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
            importer = PgLogImporter(conn, ledger)
            await importer.begin()
            async with finishing(importer):
                yield importer
