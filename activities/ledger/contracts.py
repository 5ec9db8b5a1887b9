"""Activity names, inputs and outputs of the ledger pipelines. Imported by workflows: no
storage, no httpx here."""

from __future__ import annotations

from pydantic import BaseModel

EXPORT_BATCH = "ledger.pipeline.export_batch"


class ExportBatchInput(BaseModel):
    pipeline_id: str
    ledger: str
    exporter_id: str
    after_log_id: int  # the batch is the logs after this id, in id order
    batch_size: int


class ExportBatchResult(BaseModel):
    last_log_id: int  # the last log the exporter acknowledged (after_log_id if none was read)
    exported: int
