"""The unit of work of a log import: one database transaction (nothing is half-imported) over
the ordinary writer, plus the replay of INSERTED_SCHEMA logs on the same connection."""

from __future__ import annotations

import asyncpg

from domain.ledger.ports import LogDraft
from domain.ledger.schemas import LedgerSchema
from storage.ledger import schemas_store
from storage.ledger.writes import PgLedgerWriter


class PgLogImporter(PgLedgerWriter):
    def __init__(self, conn: asyncpg.Connection, ledger: str) -> None:
        super().__init__(conn, ledger, dry_run=False, atomic=True)

    async def insert_schema(self, schema: LedgerSchema, log: LogDraft) -> int:
        await self.begin()
        return await schemas_store.insert_schema(self.conn, self.ledger, schema, log)
