"""`payments-link-<attemptID>`: an open-banking link flow, which waits for the user. The run
asks the provider for the link (the `link` update, sent with the start, answers it); then it
waits, on a durable timer, until the user comes back (the `complete` update: the attempt is
completed with its connection, or exits with the provider's error) or the link expires (the
attempt exits)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import AttemptOutcome, LinkInput
    from workflows import search_attributes
    from workflows.payments.inputs import (
        COMPLETE_LINK_UPDATE,
        LINK_UPDATE,
        LINK_WORKFLOW,
        AttemptRef,
        LinkFlowInput,
        LinkRef,
    )


@workflow.defn(name=LINK_WORKFLOW)
class OpenBankingLinkWorkflow:
    @workflow.init
    def __init__(self, data: LinkFlowInput) -> None:
        self._link: str | None = None
        self._back = False
        self._outcome: AttemptOutcome | None = None

    @workflow.run
    async def run(self, data: LinkFlowInput) -> AttemptRef:
        self._link = (await stubs.create_link(LinkInput(
            attempt_id=data.attempt_id, callback_url=data.callback_url))).link
        workflow.set_current_details("link sent, waiting for the user")
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._back,
                                          timeout=timedelta(seconds=data.expires_seconds),
                                          timeout_summary="link expiry")
        request = LinkInput(attempt_id=data.attempt_id)
        self._outcome = await (stubs.complete_link(request) if self._back
                               else stubs.expire_link(request))
        workflow.upsert_search_attributes([search_attributes.STATUS.value_set(
            self._outcome.status)])
        workflow.set_current_details(f"attempt {self._outcome.status}")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._ref()

    @workflow.update(name=LINK_UPDATE)
    async def link(self) -> LinkRef:
        await workflow.wait_condition(lambda: self._link is not None)
        assert self._link is not None
        return LinkRef(link=self._link)

    @workflow.update(name=COMPLETE_LINK_UPDATE)
    async def complete(self) -> AttemptRef:
        self._back = True
        await workflow.wait_condition(lambda: self._outcome is not None)
        return self._ref()

    def _ref(self) -> AttemptRef:
        assert self._outcome is not None
        return AttemptRef(status=self._outcome.status,
                          connection_id=self._outcome.connection_id, error=self._outcome.error)
