"""Workflow definitions over HTTP (v1 and v2): create, read, list with cursors, delete; bad
definitions are a 400 naming the stage and field with nothing stored; unknown objects 404."""

from __future__ import annotations

from typing import Any

import pytest

from storage.database import Database
from tests.conftest import free_port
from tests.temporal_stack import ModuleStack
from tests.workflows.orchestration.flow_env import V1, V2, Flows

SEND = {"source": {"account": {"id": "world"}}, "destination": {"account": {"id": "a"}},
        "amount": {"asset": "USD/2", "amount": 1}}


@pytest.mark.parametrize(("stages", "message"), [
    ([{"transfer": {}}], "stage 0: unknown stage kind 'transfer'"),
    ([{"noop": {}}, {"send": SEND, "noop": {}}], "stage 1: a stage is an object with exactly "
                                                 "one key"),
    ([{"send": {**SEND, "source": {"account": {"id": "a"}, "wallet": {"id": "w"}}}}],
     "stage 0 (send): source: exactly one of account, wallet, payment"),
    ([{"delay": {"duration": "soon"}}], "stage 0 (delay): duration: invalid duration 'soon'"),
    ([{"send": {**SEND, "amount": {"asset": "USD/2", "amount": "many"}}}],
     "stage 0 (send): amount.amount: 'many' is not a non-negative integer"),
    ([{"wait_event": {"event": 3}}], "stage 0 (wait_event): event:"),
    ("noop", "stages: Input should be a valid list"),
])
async def test_bad_definitions_are_400_and_store_nothing(flows: Flows, stages: Any,
                                                          message: str) -> None:
    for base in (V1, V2):
        r = await flows.http.post(f"{base}/workflows", json={"stages": stages})
        assert r.status_code == 400, r.text
        assert r.json()["errorCode"] == "VALIDATION"
        assert message in r.json()["errorMessage"], r.text
    r = await flows.http.get(f"{V2}/workflows")
    assert r.json()["cursor"]["data"] == []


async def test_crud_and_lists(flows: Flows) -> None:
    ids = [await flows.flow({"noop": {}}, name=f"f{i}") for i in range(3)]
    r = await flows.http.get(f"{V2}/workflows/{ids[0]}")
    assert r.status_code == 200
    body = r.json()["data"]
    assert body["config"] == {"name": "f0", "stages": [{"noop": {}}]}
    assert {"id", "createdAt", "updatedAt"} <= set(body)
    r = await flows.http.get(f"{V2}/workflows", params={"pageSize": 2})
    page = r.json()["cursor"]
    assert [w["id"] for w in page["data"]] == ids[:2] and page["hasMore"] is True
    r = await flows.http.get(f"{V2}/workflows", params={"cursor": page["next"]})
    assert [w["id"] for w in r.json()["cursor"]["data"]] == ids[2:]
    r = await flows.http.get(f"{V1}/workflows")
    assert [w["id"] for w in r.json()["data"]] == ids
    r = await flows.http.delete(f"{V1}/workflows/{ids[1]}")
    assert r.status_code == 204
    for path in (f"{V2}/workflows/{ids[1]}", f"{V1}/workflows/{ids[1]}"):
        r = await flows.http.get(path)
        assert r.status_code == 404 and r.json()["errorCode"] == "NOT_FOUND", r.text
    r = await flows.http.delete(f"{V2}/workflows/{ids[1]}")
    assert r.status_code == 404
    r = await flows.http.get(f"{V2}/workflows", params={"cursor": "not-a-cursor"})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION"
    r = await flows.http.get(f"{V2}/_info")
    assert r.status_code == 200 and "version" in r.json()


async def test_unknown_objects_and_bad_run_input(flows: Flows) -> None:
    flow = await flows.flow({"noop": {}})
    checks = [
        ("post", f"{V2}/workflows/nope/instances", {}, 404),
        ("get", f"{V2}/instances/nope", None, 404),
        ("post", f"{V2}/instances/nope/events", {"name": "x"}, 404),
        ("put", f"{V2}/instances/nope/abort", None, 404),
        ("get", f"{V2}/instances/nope/history", None, 404),
        ("get", f"{V2}/instances/nope/stages/0/history", None, 404),
        ("get", f"{V1}/triggers/nope/occurrences", None, 404),
        ("post", f"{V2}/workflows/{flow}/instances", {"amount": 3}, 400),
        ("post", f"{V2}/workflows/{flow}/instances", ["x"], 400),
    ]
    for method, path, body, status in checks:
        r = await flows.http.request(method, path, json=body)
        assert r.status_code == status, (path, r.text)
        assert r.json()["errorCode"] == ("NOT_FOUND" if status == 404 else "VALIDATION")
    r = await flows.http.post(f"{V2}/workflows/{flow}/instances", content=b"{nope",
                              headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = await flows.http.get(f"{V2}/instances", params={"workflowID": flow})
    assert r.json()["cursor"]["data"] == []  # no instance half-written


async def test_temporal_down_is_503_and_no_instance_is_kept(
        database_url: str, database: Database, temporal_env: Any) -> None:
    # The app with a Temporal address nothing listens on: the run cannot start.
    stack = ModuleStack("orchestration", temporal_env, database, database_url,
                        f"127.0.0.1:{free_port()}")
    async with stack.http("http://t") as http:
        r = await http.post(f"{V2}/workflows", json={"stages": [{"noop": {}}]})
        flow = r.json()["data"]["id"]
        r = await http.post(f"{V2}/workflows/{flow}/instances", json={})
        assert r.status_code == 503, r.text
        assert "unreachable" in r.json()["errorMessage"]
        r = await http.get(f"{V2}/instances", params={"workflowID": flow})
        assert r.json()["cursor"]["data"] == []
