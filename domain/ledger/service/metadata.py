"""Metadata writes on a transaction or an account, each one log and one event. They run inside
the unit of work of writes.py, like every command."""

from __future__ import annotations

from domain.errors import NotFoundError
from domain.ledger.errors import TransactionNotFoundError
from domain.ledger.models import DeleteMetadata, LogType, SaveMetadata, WriteOptions, WriteResult
from domain.ledger.ports import EventDraft, LedgerWriter, LogDraft
from domain.ledger.service.ledgers import Ledgers


class MetadataWrites(Ledgers):
    async def _save_metadata(self, ledger: str, w: LedgerWriter, cmd: SaveMetadata,
                             options: WriteOptions) -> WriteResult:
        now = self.clock()
        data = {"targetType": cmd.target_type.value, "targetId": cmd.target_id,
                "metadata": cmd.metadata}
        log = LogDraft(LogType.SET_METADATA, data, now, options.idempotency_key,
                       options.idempotency_hash)
        event = EventDraft("SAVED_METADATA", {**data, "ledger": ledger,
                                              "targetId": str(cmd.target_id)})
        log_id = await w.save_metadata(cmd.target_type, cmd.target_id, cmd.metadata, log, event)
        if log_id is None:
            raise TransactionNotFoundError(int(cmd.target_id))
        return WriteResult(log_id=log_id)

    async def _delete_metadata(self, ledger: str, w: LedgerWriter, cmd: DeleteMetadata,
                               options: WriteOptions) -> WriteResult:
        now = self.clock()
        data = {"targetType": cmd.target_type.value, "targetId": cmd.target_id, "key": cmd.key}
        log = LogDraft(LogType.DELETE_METADATA, data, now, options.idempotency_key,
                       options.idempotency_hash)
        event = EventDraft("DELETED_METADATA", {**data, "ledger": ledger,
                                                "targetId": str(cmd.target_id)})
        log_id = await w.delete_metadata(cmd.target_type, cmd.target_id, cmd.key, log, event)
        if log_id is None:
            raise NotFoundError(
                f"{cmd.target_type.value.lower()} {cmd.target_id} has no metadata {cmd.key!r}"
            )
        return WriteResult(log_id=log_id)
