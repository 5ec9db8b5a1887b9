"""A send whose activity is retried after its ledger write committed (the worker lost the
answer) posts once: the retry sends the same idempotency key and the ledger replays the first
write. And the event buffer is bounded: past `max_pending_events` an event is refused (400)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from temporalio import activity
from temporalio.worker import Worker

from activities.orchestration.contracts import MOVE_MONEY, Moved, MoveMoney
from config.orchestration import OrchestrationSettings
from storage.database import Database
from tests.temporal_stack import ModuleStack, unique_modules
from tests.workflows.orchestration.flow_env import V2, Flows, flows_stack
from workers.worker import worker_options


async def test_a_retried_send_posts_once(database_url: str, database: Database,
                                         temporal_env: Any, temporal_address: str) -> None:
    modules = dataclasses.replace(unique_modules(), orchestration=OrchestrationSettings(
        task_queue=f"orchestration-test-{uuid.uuid4().hex[:12]}"))
    stack = ModuleStack("orchestration", temporal_env, database, database_url,
                        temporal_address, modules)
    reg = stack.registration()
    real = next(a for a in reg.activities if getattr(a, "__temporal_activity_definition").name
                == MOVE_MONEY)
    attempts: list[int] = []

    @activity.defn(name=MOVE_MONEY)
    async def move_then_lose_the_answer(data: MoveMoney) -> Moved:
        attempts.append(activity.info().attempt)
        moved: Moved = await real(data)
        if activity.info().attempt == 1:
            raise RuntimeError("worker lost after the commit")  # retried by Temporal
        return moved

    activities = [a for a in reg.activities if a is not real] + [move_then_lose_the_answer]
    async with Worker(stack.client, task_queue=reg.task_queue, workflows=reg.workflows,
                      activities=activities, **worker_options()), \
            stack.http("http://t") as http:
        flows = Flows(stack, http)
        main = await flows.ledger("main")
        flow = await flows.flow({"send": {
            "source": {"account": {"id": "world", "ledger": main}},
            "destination": {"account": {"id": "users:1", "ledger": main}},
            "amount": {"asset": "USD/2", "amount": 100}}})
        instance = await flows.run(flow)
        assert "error" not in instance, instance
        assert attempts == [1, 2]
        assert await flows.balance(main, "users:1") == 100
        r = await http.get(f"/api/ledger/v2/{main}/transactions")
        assert len(r.json()["cursor"]["data"]) == 1
        r = await http.get(f"{V2}/instances/{instance['id']}/stages/0/history")
        (step,) = r.json()["data"]
        assert step["attempt"] == 2 and step["terminated"] and "error" not in step
    await reg.close()


async def test_the_event_buffer_is_bounded(database_url: str, database: Database,
                                           temporal_env: Any, temporal_address: str) -> None:
    async with flows_stack(database_url, database, temporal_env, temporal_address,
                           max_pending_events=2) as flows:
        flow = await flows.flow({"wait_event": {"event": "go"}})
        instance = await flows.run(flow, wait=False)
        url = f"{V2}/instances/{instance['id']}/events"
        for name in ("a", "b"):
            assert (await flows.http.post(url, json={"name": name})).status_code == 204
        r = await flows.http.post(url, json={"name": "c"})
        assert r.status_code == 400 and "already holds 2 events" in r.json()["errorMessage"]
        r = await flows.http.post(url, json={"name": ""})
        assert r.status_code == 400
        r = await flows.http.put(f"{V2}/instances/{instance['id']}/abort")
        assert r.status_code == 204
