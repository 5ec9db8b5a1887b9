"""LedgerPipelineWorkflow: replicates one ledger's logs to one exporter, forever.

Each iteration exports the batch after the cursor (the activity returns once the exporter
acknowledged it) and only then advances the cursor; when caught up it waits `poll_interval`
or an update. `start`, `stop` and `reset` are updates (the caller learns the new state); a
reset bumps a generation so that a batch in flight when it arrived cannot move the cursor
back up. Continue-as-new every `iterations_per_run` iterations carries the cursor over."""

from __future__ import annotations

import contextlib

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.ledger import stubs
    from activities.ledger.contracts import ExportBatchInput
    from workflows import search_attributes
    from workflows.ledger.inputs import (
        PIPELINE_WORKFLOW,
        RESET_UPDATE,
        START_UPDATE,
        STATE_QUERY,
        STOP_UPDATE,
        PipelineInput,
        PipelineState,
        PipelineStatus,
    )


@workflow.defn(name=PIPELINE_WORKFLOW)
class LedgerPipelineWorkflow:
    @workflow.init
    def __init__(self, data: PipelineInput) -> None:
        self.data = data
        self.enabled = data.enabled
        self.last_log_id = data.last_log_id
        self.generation = 0
        self.exported = 0
        self.status = PipelineStatus.RUNNING if data.enabled else PipelineStatus.STOPPED

    @workflow.query(name=STATE_QUERY)
    def state(self) -> PipelineState:
        status = PipelineStatus.RUNNING if self.enabled else PipelineStatus.STOPPED
        return PipelineState(pipeline_id=self.data.pipeline_id, ledger=self.data.ledger,
                             exporter_id=self.data.exporter_id, status=status,
                             last_log_id=self.last_log_id, exported_this_run=self.exported)

    @workflow.update(name=START_UPDATE)
    def start(self) -> PipelineState:
        self.enabled = True
        return self.state()

    @workflow.update(name=STOP_UPDATE)
    def stop(self) -> PipelineState:
        self.enabled = False
        return self.state()

    @workflow.update(name=RESET_UPDATE)
    def reset(self) -> PipelineState:
        self.last_log_id = 0
        self.generation += 1
        return self.state()

    @workflow.run
    async def run(self, data: PipelineInput) -> None:
        options = data.options
        self._show(force=True)
        for _ in range(options.iterations_per_run):
            self._show()
            if not self.enabled:
                await workflow.wait_condition(lambda: self.enabled)
                continue
            generation = self.generation
            result = await stubs.export_batch(ExportBatchInput(
                pipeline_id=data.pipeline_id, ledger=data.ledger, exporter_id=data.exporter_id,
                after_log_id=self.last_log_id, batch_size=options.batch_size))
            if generation != self.generation:
                continue  # reset while the batch was out: start over from 0
            self.last_log_id = result.last_log_id
            self.exported += result.exported
            if result.exported < options.batch_size:  # caught up
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda g=generation: g != self.generation or not self.enabled,  # type: ignore[misc]
                        timeout=options.poll_interval)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(data.model_copy(update={
            "enabled": self.enabled, "last_log_id": self.last_log_id}))

    def _show(self, *, force: bool = False) -> None:
        status = PipelineStatus.RUNNING if self.enabled else PipelineStatus.STOPPED
        if force or status is not self.status:
            workflow.upsert_search_attributes([search_attributes.STATUS.value_set(status.value)])
        self.status = status
        workflow.set_current_details(
            f"{status.value.lower()}; last exported log {self.last_log_id} of ledger "
            f"{self.data.ledger} to exporter {self.data.exporter_id}")
