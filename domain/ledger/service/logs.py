"""Log export and import: a ledger's log stream read in id order, and a stream re-applied in one
database transaction after its ids and hash chain are checked against the ledger's head."""

from __future__ import annotations

from collections.abc import AsyncIterator

from domain.errors import DomainError
from domain.ledger import importing as _importing
from domain.ledger import schemas as _schemas
from domain.ledger.errors import ImportLogsError, TransientWriteError
from domain.ledger.models import Log, LogType
from domain.ledger.ports import EventDraft, LogImporter
from domain.ledger.service.schemas import Schemas


class Logs(Schemas):
    async def export_logs(self, ledger: str, batch: int = 500) -> AsyncIterator[Log]:
        await self.require_ledger(ledger)
        after = 0
        while True:
            page = await self.store.read_logs(ledger, after, batch)
            for log in page:
                yield log
            if len(page) < batch:
                return
            after = page[-1].id

    async def import_logs(self, ledger: str, logs: list[_importing.ImportedLog]) -> int:
        """Checks the whole stream, then re-applies it in one database transaction."""
        await self.require_ledger(ledger)
        last_id, last_hash = await self.store.log_head(ledger)
        _importing.verify(logs, last_id, last_hash)
        schemas = False
        try:
            async with self.store.importer(ledger) as imp:
                for log in logs:
                    log_id = await self._import_one(ledger, imp, log)
                    schemas = schemas or log.type == _importing.INSERTED_SCHEMA
                    if log_id != log.id:
                        raise ImportLogsError(
                            f"log {log.id} was written as log {log_id}: the ledger changed "
                            "during the import")
        except ImportLogsError:
            raise
        except (DomainError, TransientWriteError) as exc:
            raise ImportLogsError(f"import failed, nothing imported: {exc}") from None
        if schemas:
            self.schemas.inserted(ledger)
        return len(logs)

    async def _import_one(self, ledger: str, imp: LogImporter,
                          log: _importing.ImportedLog) -> int | None:
        if log.type in (LogType.NEW_TRANSACTION, LogType.REVERTED_TRANSACTION):
            new, tx_id = _importing.new_transaction(ledger, log)
            tx, log_id = await imp.insert_transaction(new)
            if tx.id != tx_id:
                raise ImportLogsError(
                    f"log {log.id}: transaction {tx_id} would be written as {tx.id}")
            return log_id
        if log.type == _importing.INSERTED_SCHEMA:
            doc = log.data.get("schema") or {}
            schema = _schemas.parse_schema_data(doc, str(doc.get("version", "")), log.date)
            return await imp.insert_schema(schema, _importing.draft(log, log.data))
        target_type, target = _importing.metadata_target(log)
        payload = {**log.data, "ledger": ledger, "targetId": str(target)}
        if log.type == LogType.SET_METADATA:
            md = dict(log.data.get("metadata") or {})
            return await imp.save_metadata(target_type, target, md, _importing.draft(
                log, log.data), EventDraft("SAVED_METADATA", payload))
        return await imp.delete_metadata(target_type, target, str(log.data.get("key")),
                                         _importing.draft(log, log.data),
                                         EventDraft("DELETED_METADATA", payload))
