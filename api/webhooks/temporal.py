"""The API's Temporal side: a lazily connected client, cancelling (and, for replays,
terminating) retry workflows, running the test delivery workflow."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from uuid import uuid4

from fastapi import Request
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError

from api.temporal import TemporalUnavailableError, temporal_client
from domain.errors import DomainError
from domain.webhooks.models import TestDelivery, WebhookConfig
from workflows import task_queues
from workflows.webhooks.inputs import TEST_WORKFLOW, TestWebhookInput, test_workflow_id

log = logging.getLogger("ledgerflow.api.webhooks")




class TemporalRetryCanceller:
    """Best effort: the delivery rows are already cancelled in the same transaction as the config
    change, and the attempt activity refuses to send for an inactive config, so a retry whose
    cancellation is lost here still never sends."""

    def __init__(self, request: Request) -> None:
        self.request = request

    async def cancel(self, workflow_ids: Sequence[str]) -> None:
        if not workflow_ids:
            return
        try:
            client = await temporal_client(self.request)
        except TemporalUnavailableError:
            log.warning("Temporal unreachable; %d retry workflow(s) will stop on their next "
                        "attempt instead", len(workflow_ids))
            return
        await asyncio.gather(*(self._cancel_one(client, wid) for wid in workflow_ids))

    async def terminate(self, workflow_ids: Sequence[str]) -> None:
        """Replays end the retry workflow of the previous generation: terminated, because its
        cancellation handler would cancel the (now replayed) delivery row. Best effort: the row
        no longer points to it, and its next attempt finds the delivery settled or sends the
        same webhook id again (at least once)."""
        if not workflow_ids:
            return
        try:
            client = await temporal_client(self.request)
        except TemporalUnavailableError:
            log.warning("Temporal unreachable; %d replaced retry workflow(s) not terminated",
                        len(workflow_ids))
            return
        await asyncio.gather(*(self._terminate_one(client, wid) for wid in workflow_ids))

    @staticmethod
    async def _terminate_one(client: Client, workflow_id: str) -> None:
        try:
            await client.get_workflow_handle(workflow_id).terminate(reason="delivery replayed")
        except RPCError as exc:
            log.debug("retry workflow %s not terminated: %s", workflow_id, exc)

    @staticmethod
    async def _cancel_one(client: Client, workflow_id: str) -> None:
        try:
            await client.get_workflow_handle(workflow_id).cancel()
        except RPCError as exc:  # finished or unknown: nothing left to cancel
            log.debug("retry workflow %s not cancelled: %s", workflow_id, exc)


async def run_test_delivery(request: Request, config: WebhookConfig) -> TestDelivery:
    client = await temporal_client(request)
    queue = getattr(request.app.state, "webhooks_task_queue", task_queues.WEBHOOKS)
    try:
        result: TestDelivery = await client.execute_workflow(
            TEST_WORKFLOW, TestWebhookInput(config_id=config.id),
            id=test_workflow_id(config.id, uuid4()), task_queue=queue,
            result_type=TestDelivery, execution_timeout=timedelta(minutes=2),
        )
        return result
    except WorkflowFailureError as exc:
        raise DomainError(f"test delivery failed: {exc.cause}") from exc
    except RPCError as exc:
        raise TemporalUnavailableError(f"Temporal is unreachable: {exc}") from exc
