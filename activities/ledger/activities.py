"""The ledger pipeline activity: read the logs after the cursor, push them, record the cursor.

The cursor row moves only after the exporter acknowledged the batch, and only from the value
the batch started at (a reset in between wins). A crash after the push and before the row
update sends the same batch again on retry: at-least-once, with log ids for deduplication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from activities.defn import activity_defn
from activities.ledger.contracts import EXPORT_BATCH, ExportBatchInput, ExportBatchResult
from activities.ledger.drivers import build_driver
from domain.ledger.errors import ExporterNotFoundError
from domain.ledger.exporters import log_document
from storage.database import Database
from storage.ledger.exporters_store import PgExporterStore
from storage.ledger.store import PgLedgerStore


class LedgerPipelineActivities:
    def __init__(self, database: Database, *, http_timeout: timedelta = timedelta(seconds=30)
                 ) -> None:
        self.exporters = PgExporterStore(database)
        self.ledgers = PgLedgerStore(database)
        self.client = httpx.AsyncClient(timeout=http_timeout.total_seconds())

    def all(self) -> list[Callable[..., Any]]:
        return [self.export_batch]

    @activity_defn(EXPORT_BATCH)
    async def export_batch(self, data: ExportBatchInput) -> ExportBatchResult:
        exporter = await self.exporters.get_exporter(data.exporter_id)
        if exporter is None:
            raise ExporterNotFoundError(data.exporter_id)
        logs = await self.ledgers.read_logs(data.ledger, data.after_log_id, data.batch_size)
        if not logs:
            return ExportBatchResult(last_log_id=data.after_log_id, exported=0)
        driver = build_driver(exporter.driver, exporter.config, self.client)
        await driver.send([log_document(data.ledger, log) for log in logs])
        await self.exporters.advance_pipeline(data.pipeline_id, data.after_log_id, logs[-1].id)
        return ExportBatchResult(last_log_id=logs[-1].id, exported=len(logs))
