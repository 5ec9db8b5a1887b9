"""How workflows call the ledger pipeline activities (activities/stub.py sets the shared rules)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.ledger.contracts import EXPORT_BATCH, ExportBatchInput, ExportBatchResult
from activities.stub import Stub

# An unreachable or failing exporter is retried with exponential backoff for as long as it
# takes: the pipeline must not skip logs. A deleted exporter or pipeline is a business error,
# hence final.
_EXPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
)

export_batch: Stub[ExportBatchInput, ExportBatchResult] = Stub(
    EXPORT_BATCH, ExportBatchResult, timedelta(seconds=60), _EXPORT_RETRY)
