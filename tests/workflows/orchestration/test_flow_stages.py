"""delay (duration and until), wait_event (an event sent before its stage starts is kept, one
sent while it waits is consumed, a finished instance refuses events), update, abort, and the
search attributes and summary that find an instance in the Temporal UI."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus

from tests.workflows.orchestration.flow_env import V1, V2, Flows
from workflows import search_attributes
from workflows.orchestration.inputs import instance_workflow_id


async def test_delay_by_duration_and_until(flows: Flows) -> None:
    until = (datetime.now(UTC) + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    flow = await flows.flow({"delay": {"duration": "${wait}"}}, {"delay": {"until": until}},
                            {"noop": {}})
    started = time.monotonic()
    instance = await flows.run(flow, {"wait": "500ms"})
    elapsed = time.monotonic() - started
    assert "error" not in instance and instance["terminated"], instance
    assert elapsed >= 0.9, elapsed  # both timers ran: until is at least 1 s from the start
    assert [s["stage"] for s in instance["status"]] == [0, 1, 2]
    await flows.record(instance["id"], "delay_and_noop")


async def test_event_sent_before_and_while_waiting(flows: Flows) -> None:
    flow = await flows.flow({"delay": {"duration": "1s"}}, {"wait_event": {"event": "paid"}},
                            {"wait_event": {"event": "shipped"}})
    instance = await flows.run(flow, wait=False)
    iid = instance["id"]
    # During the delay: kept for the wait_event stage that has not started yet.
    r = await flows.http.post(f"{V2}/instances/{iid}/events", json={"name": "paid"})
    assert r.status_code == 204, r.text
    await asyncio.sleep(1.5)
    current = await flows.instance(iid)
    assert not current["terminated"] and len(current["status"]) == 3, current  # waits: shipped
    r = await flows.http.post(f"{V1}/instances/{iid}/events", json={"name": "shipped"})
    assert r.status_code == 204, r.text
    done = await flows.wait_end(iid)
    assert done["terminated"] and "error" not in done, done
    r = await flows.http.post(f"{V2}/instances/{iid}/events", json={"name": "late"})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    assert "terminated" in r.json()["errorMessage"]
    await flows.record(iid, "wait_event_before_and_after")


async def test_update_adds_account_metadata(flows: Flows) -> None:
    main = await flows.ledger("main")
    flow = await flows.flow({"update": {"account": {"id": "users:${user}", "ledger": main,
                                                    "metadata": {"tier": "${tier}"}}}})
    instance = await flows.run(flow, {"user": "9", "tier": "gold"})
    assert "error" not in instance, instance
    r = await flows.http.get(f"/api/ledger/v2/{main}/accounts/users:9")
    assert r.json()["data"]["metadata"] == {"tier": "gold"}
    r = await flows.http.get(f"{V2}/instances/{instance['id']}/stages/0/history")
    (step,) = r.json()["data"]
    assert step["name"] == "AddAccountMetadata"
    assert step["input"]["AddAccountMetadata"] == {"id": "users:9", "ledger": main,
                                                   "metadata": {"tier": "gold"}}
    await flows.record(instance["id"], "update_metadata")


async def test_abort_cancels_a_waiting_instance(flows: Flows) -> None:
    flow = await flows.flow({"wait_event": {"event": "never"}}, {"noop": {}}, name="aborted")
    instance = await flows.run(flow, wait=False)
    iid = instance["id"]
    handle = flows.client.get_workflow_handle(instance_workflow_id(iid))
    for _ in range(50):  # until the wait_event stage has started
        if (await flows.instance(iid))["status"]:
            break
        await asyncio.sleep(0.1)
    description = await handle.describe()
    assert description.typed_search_attributes.get(search_attributes.FLOW_ID) == flow
    assert description.typed_search_attributes.get(search_attributes.INSTANCE_ID) == iid
    assert description.typed_search_attributes.get(search_attributes.STATUS) == "RUNNING"
    assert await description.static_summary() == f"Flow aborted: instance {iid}"

    r = await flows.http.put(f"{V2}/instances/{iid}/abort")
    assert r.status_code == 204, r.text
    done = await flows.wait_end(iid)
    assert done["terminated"] and done["error"] == "aborted", done
    assert done["status"][0]["error"] == "aborted" and len(done["status"]) == 1
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.CANCELED
    assert description.typed_search_attributes.get(search_attributes.STATUS) == "ABORTED"
    r = await flows.http.put(f"{V2}/instances/{iid}/abort")
    assert r.status_code == 400, r.text
    r = await flows.http.get(f"{V2}/instances", params={"workflowID": flow, "running": "false"})
    assert [i["id"] for i in r.json()["cursor"]["data"]] == [iid]
    await flows.record(iid, "abort_while_waiting")


async def test_running_instances_of_a_flow_are_listed(flows: Flows) -> None:
    flow = await flows.flow({"wait_event": {"event": "go"}})
    first = await flows.run(flow, wait=False)
    second = await flows.run(flow, wait=False)
    r = await flows.http.get(f"{V2}/instances", params={"workflowID": flow, "running": "true",
                                                        "pageSize": 1})
    page = r.json()["cursor"]
    assert page["hasMore"] is True and [i["id"] for i in page["data"]] == [first["id"]]
    r = await flows.http.get(f"{V2}/instances", params={"cursor": page["next"]})
    assert [i["id"] for i in r.json()["cursor"]["data"]] == [second["id"]]
    for instance in (first, second):
        r = await flows.http.post(f"{V2}/instances/{instance['id']}/events",
                                  json={"name": "go"})
        assert r.status_code == 204
        assert "error" not in await flows.wait_end(instance["id"])
    r = await flows.http.get(f"{V1}/instances", params={"workflowID": flow, "running": "true"})
    assert r.json() == {"data": []}
