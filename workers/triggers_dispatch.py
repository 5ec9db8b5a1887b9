"""The triggers consumer: an outbox consumer loop of the events dispatcher (OUTBOX_CONSUMERS),
with its own offset, for the ledger, payments and wallets events (and orchestration's own).

For each event, the triggers on its type (and version, when a trigger names one) are evaluated
(domain/orchestration/triggers.py): a match records an occurrence and the instance row with the
evaluated variables, a failing filter or variable an occurrence with the error, in the batch's
transaction, which also advances the offset (storage/events/dispatcher.py): a crash replays the
batch and the unique (trigger, event) records nothing twice. Once the batch is committed, the
launcher starts each recorded instance's workflow, `flow-instance-<id>` with the id derived from
trigger and event and REJECT_DUPLICATE: a redelivered event, or a launch retried after a crash,
starts nothing new. Rows still unlaunched (Temporal down) are retried on the next poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from functools import partial

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from config.modules import ModuleSettings
from config.settings import Settings
from domain.events.models import Event
from domain.orchestration.expr import ExprError
from domain.orchestration.ids import triggered_instance_id
from domain.orchestration.triggers import (
    Fetch,
    evaluate_with_links,
    instance_variables,
    matches,
)
from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.orchestration.links import linked_data_reader
from storage.orchestration.triggered import (
    Launch,
    mark_launched,
    record_occurrence,
    triggers_for,
    unlaunched,
)
from workflows.orchestration.inputs import InstanceInput, instance_start
from workflows.start import start_options

log = logging.getLogger("ledgerflow.orchestration.triggers")

CONSUMER_NAME = "orchestration-triggers"
_LAUNCH_BATCH = 100


class TriggersConsumer:
    name = CONSUMER_NAME

    def __init__(self, fetch: Fetch | None = None) -> None:
        self.recorded = 0
        self.fetch = fetch  # link(): reads a linked resource (None: link() is an error)

    async def handle(self, events: Sequence[Event], transaction: AsyncConnection) -> None:
        found = await triggers_for(transaction, {e.type for e in events})
        if not found:
            return
        for event in events:
            payload = event.envelope.get("payload")
            payload = payload if isinstance(payload, dict) else {}
            for trigger in found:
                if trigger.event != event.type or (
                        trigger.version and trigger.version != event.envelope.get("version")):
                    continue
                match, error = await evaluate_with_links(partial(matches, trigger, payload),
                                                         self.fetch)
                if not match and error is None:
                    continue
                instance_id: str | None = None
                variables: dict[str, str] = {}
                if error is not None:
                    error = f"filter: {error}"
                else:
                    try:
                        variables = await evaluate_with_links(
                            partial(instance_variables, trigger, payload), self.fetch)
                        instance_id = triggered_instance_id(trigger.id, event.id)
                    except ExprError as exc:
                        error = exc.message
                if await record_occurrence(transaction, trigger, event.id, payload,
                                           instance_id=instance_id, variables=variables,
                                           error=error):
                    self.recorded += 1


class Launcher:
    def __init__(self, database: Database, client: Client, modules: ModuleSettings) -> None:
        self.database = database
        self.client = client
        self.modules = modules

    async def launch_pending(self) -> int:
        pending = await unlaunched(self.database, _LAUNCH_BATCH)
        started: list[str] = []
        for launch in pending:
            try:
                await self._start(launch)
            except Exception:  # Temporal down: the row stays unlaunched, retried next poll
                log.exception("could not start triggered instance %s", launch.instance_id)
                break
            started.append(launch.instance_id)
        await mark_launched(self.database, started)
        return len(started)

    async def _start(self, launch: Launch) -> None:
        data = InstanceInput(
            instance_id=launch.instance_id, workflow_id=launch.workflow_id,
            stages=launch.stages, variables=launch.variables, trigger_id=launch.trigger_id,
            wallets_ledger=self.modules.wallets.ledger,
            max_pending_events=self.modules.orchestration.max_pending_events,
            payment_poll_seconds=self.modules.orchestration.payment_poll_interval
            .total_seconds())
        spec = instance_start(data, launch.flow_name)
        # Already started: a launch retried after a crash (REJECT_DUPLICATE kept the first).
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self.client.start_workflow(
                spec.workflow, spec.arg,
                **start_options(spec, self.modules.orchestration.task_queue))


async def run_triggers(settings: Settings, database: Database, client: Client,
                       modules: ModuleSettings, stop: asyncio.Event) -> None:
    config = modules.orchestration
    wake = asyncio.Event()
    async with httpx.AsyncClient(timeout=config.link_timeout.total_seconds()) as http:
        dispatcher = OutboxDispatcher(database, TriggersConsumer(
            linked_data_reader(http, config.link_prefixes)),
                                      batch_size=config.trigger_batch_size,
                                      on_batch=lambda _: wake.set())
        launcher = Launcher(database, client, modules)
        poll = config.trigger_poll_interval.total_seconds()
        await asyncio.gather(dispatcher.run(stop, poll_interval=poll),
                             _launch_loop(launcher, stop, wake, poll))



async def _launch_loop(launcher: Launcher, stop: asyncio.Event, wake: asyncio.Event,
                       poll: float) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), poll)
        wake.clear()
        try:
            while await launcher.launch_pending() == _LAUNCH_BATCH:
                pass
        except Exception:  # the database is down: retried on the next poll
            log.exception("triggered instances: launch failed")
