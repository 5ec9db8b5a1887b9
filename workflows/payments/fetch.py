"""`payments-<connector>-<CAPABILITY>` (started by its schedule): pages through the provider.
Each page is one activity that stores the items and the new state together, so the loop carries
nothing but counters, and a long run continues as new without losing its place.

Each run is recorded as an instance of its schedule (started, ended, its error); a run that
fails counts towards pausing the connector's schedules (activities/payments: finish_instance).
Runs recorded before instances existed replay without them (the RECORD_INSTANCES patch)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.payments import stubs
    from activities.payments.contracts import FetchPageInput, FinishInstanceInput, InstanceInput
    from workflows.payments.inputs import FETCH_WORKFLOW, FetchInput, FetchResult, schedule_id

RECORD_INSTANCES = "record-instances"


@workflow.defn(name=FETCH_WORKFLOW)
class FetchWorkflow:
    @workflow.run
    async def run(self, data: FetchInput) -> FetchResult:
        instance: InstanceInput | None = None
        if workflow.patched(RECORD_INSTANCES):
            instance = InstanceInput(instance_id=workflow.info().workflow_id,
                                     schedule_id=schedule_id(data.connector_id, data.capability),
                                     connector_id=data.connector_id)
            await stubs.record_instance(instance)
        try:
            result = await self._pages(data)
        except ActivityError as exc:
            if instance is not None:
                await stubs.finish_instance(FinishInstanceInput(
                    instance_id=instance.instance_id, connector_id=data.connector_id,
                    error=str(exc.cause or exc)))
            raise
        if instance is not None:
            await stubs.finish_instance(FinishInstanceInput(
                instance_id=instance.instance_id, connector_id=data.connector_id))
        return result

    async def _pages(self, data: FetchInput) -> FetchResult:
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
