"""How workflows call the ledger pipeline activities; timeouts and retry policies set once."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.ledger.contracts import EXPORT_BATCH, ExportBatchInput, ExportBatchResult

# An unreachable or failing exporter is retried with exponential backoff for as long as it
# takes: the pipeline must not skip logs. A deleted exporter or pipeline is final.
_EXPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    non_retryable_error_types=["NOT_FOUND", "VALIDATION"],
)


async def export_batch(data: ExportBatchInput) -> ExportBatchResult:
    result: ExportBatchResult = await workflow.execute_activity(
        EXPORT_BATCH, data, result_type=ExportBatchResult,
        start_to_close_timeout=timedelta(seconds=60), retry_policy=_EXPORT_RETRY,
    )
    return result
