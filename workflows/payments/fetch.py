"""`payments-<connector>-<CAPABILITY>` (started by its schedule): pages through the provider.
Each page is one activity that stores the items and the new state together, so the loop carries
nothing but counters, and a long run continues as new without losing its place."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import FetchPageInput
    from workflows.payments.inputs import FETCH_WORKFLOW, FetchInput, FetchResult


@workflow.defn(name=FETCH_WORKFLOW)
class FetchWorkflow:
    @workflow.run
    async def run(self, data: FetchInput) -> FetchResult:
        request = FetchPageInput(connector_id=data.connector_id, capability=data.capability)
        pages = items = changed = 0
        while True:
            page = await stubs.fetch_page(request)
            pages += 1
            items += page.items
            changed += page.changed
            workflow.set_current_details(f"{data.capability}: {pages} pages, {items} items, "
                                         f"{changed} new or changed")
            if not page.has_more:
                return FetchResult(pages=pages, items=items, changed=changed)
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(data)
