"""The API's Temporal side of webhooks: cancelling (and, for replays, terminating) retry
workflows, and running the test delivery workflow, through the shared helpers of
api/temporal.py."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import uuid4

from api.dependencies import Dependencies
from api.temporal import TemporalUnavailableError
from domain.webhooks.models import TestDelivery, WebhookConfig
from workflows.webhooks.inputs import delivery_test_start

log = logging.getLogger("ledgerflow.api.webhooks")


class TemporalRetryCanceller:
    """Best effort: the delivery rows are already cancelled in the same transaction as the config
    change, and the attempt activity refuses to send for an inactive config, so a retry whose
    cancellation is lost here still never sends."""

    def __init__(self, deps: Dependencies) -> None:
        self.temporal = deps.temporal

    async def cancel(self, workflow_ids: Sequence[str]) -> None:
        if not workflow_ids:
            return
        try:
            await self.temporal.cancel(workflow_ids)
        except TemporalUnavailableError:
            log.warning("Temporal unreachable; %d retry workflow(s) will stop on their next "
                        "attempt instead", len(workflow_ids))

    async def terminate(self, workflow_ids: Sequence[str]) -> None:
        """Replays end the retry workflow of the previous generation: terminated, because its
        cancellation handler would cancel the (now replayed) delivery row. Best effort: the row
        no longer points to it, and its next attempt finds the delivery settled or sends the
        same webhook id again (at least once)."""
        if not workflow_ids:
            return
        try:
            await self.temporal.terminate(workflow_ids, reason="delivery replayed")
        except TemporalUnavailableError:
            log.warning("Temporal unreachable; %d replaced retry workflow(s) not terminated",
                        len(workflow_ids))


async def run_test_delivery(deps: Dependencies, config: WebhookConfig) -> TestDelivery:
    return await deps.temporal.execute(delivery_test_start(config.id, uuid4()),
                                       deps.modules.webhooks.task_queue, TestDelivery)
