"""The official Formance SDK drives orchestration v2 and v1 against Ledgerflow served by
uvicorn, with the orchestration worker running: definitions, a run with ?wait=true that moves
money, instances, histories, events, abort and triggers (create, list, test, read, delete)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import httpx
import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models.operations import TestTriggerRequest
from formance_sdk_python.models.orchestration import TriggerData, V2TriggerData

from config.modules import ModuleSettings
from config.orchestration import OrchestrationSettings
from storage.database import Database
from tests.e2e.conftest import ServeApp
from tests.temporal_stack import ModuleStack, unique_modules


@pytest.fixture
def served(serve_app: ServeApp, temporal_address: str) -> tuple[str, ModuleSettings]:
    modules = dataclasses.replace(unique_modules(), orchestration=OrchestrationSettings(
        task_queue=f"orchestration-e2e-{uuid.uuid4().hex[:12]}"))
    return serve_app(module_settings=modules, temporal_address=temporal_address), modules


async def _until_terminated(sdk: SDK, instance_id: str) -> Any:
    for _ in range(100):
        got = await sdk.orchestration.v1.get_instance_async(request={"instance_id": instance_id})
        assert got.get_workflow_instance_response is not None
        if got.get_workflow_instance_response.data.terminated:
            return got.get_workflow_instance_response.data
        await asyncio.sleep(0.1)
    raise AssertionError("the instance did not end")


async def test_orchestration_v2_and_v1_with_the_sdk(
        served: tuple[str, ModuleSettings], database: Database, database_url: str,
        temporal_address: str, temporal_env: Any) -> None:
    url, modules = served
    sdk = SDK(server_url=url)
    stack = ModuleStack("orchestration", temporal_env, database, database_url,
                        temporal_address, modules=modules)
    async with stack.worker(), httpx.AsyncClient(base_url=url) as http:
        r = await http.post("/api/ledger/v2/main", json={})
        assert r.status_code in (201, 204)
        v2, v1 = sdk.orchestration.v2, sdk.orchestration.v1
        assert (await v2.get_server_info_async()).status_code == 200

        created = await v2.create_workflow_async(request={"name": "pay", "stages": [{"send": {
            "source": {"account": {"id": "world", "ledger": "main"}},
            "destination": {"account": {"id": "users:${user}", "ledger": "main"}},
            "amount": {"asset": "USD/2", "amount": 250}}}]})
        assert created.v2_create_workflow_response is not None
        flow = created.v2_create_workflow_response.data
        assert flow.config.name == "pay"

        ran = await v2.run_workflow_async(request={"workflow_id": flow.id, "wait": True,
                                                   "request_body": {"user": "1"}})
        assert ran.status_code == 201 and ran.v2_run_workflow_response is not None
        instance = ran.v2_run_workflow_response.data
        assert instance.terminated and instance.error is None
        assert instance.status is not None and instance.status[0].stage == 0

        history = await v2.get_instance_history_async(request={"instance_id": instance.id})
        assert history.v2_get_workflow_instance_history_response is not None
        assert [h.name for h in history.v2_get_workflow_instance_history_response.data] == [
            "RunSend"]
        stage = await v2.get_instance_stage_history_async(
            request={"instance_id": instance.id, "number": 0})
        assert stage.v2_get_workflow_instance_history_stage_response is not None
        (step,) = stage.v2_get_workflow_instance_history_stage_response.data
        assert step.name == "CreateTransaction" and step.terminated and step.attempt == 1

        listed = await v2.list_instances_async(request={"workflow_id": flow.id})
        assert listed.v2_list_runs_response is not None
        assert [i.id for i in listed.v2_list_runs_response.cursor.data] == [instance.id]
        r = await http.get("/api/ledger/v2/main/accounts/users:1", params={"expand": "volumes"})
        assert r.json()["data"]["volumes"]["USD/2"]["balance"] == 250

        # v1: an instance waiting for an event, then one aborted.
        waiting = await v1.create_workflow_async(request={"stages": [
            {"wait_event": {"event": "go"}}]})
        assert waiting.create_workflow_response is not None
        wid = waiting.create_workflow_response.data.id
        run = await v1.run_workflow_async(request={"workflow_id": wid})
        assert run.run_workflow_response is not None
        first = run.run_workflow_response.data.id
        sent = await v1.send_event_async(request={"instance_id": first,
                                                  "request_body": {"name": "go"}})
        assert sent.status_code == 204
        done = await _until_terminated(sdk, first)
        assert done.error is None
        run = await v1.run_workflow_async(request={"workflow_id": wid})
        assert run.run_workflow_response is not None
        second = run.run_workflow_response.data.id
        await asyncio.sleep(0.3)
        assert (await v2.cancel_event_async(request={"instance_id": second})).status_code == 204
        assert (await _until_terminated(sdk, second)).error == "aborted"

        # Triggers.
        trigger = await v2.create_trigger_async(request=V2TriggerData(
            event="SAVED_PAYMENT", workflow_id=flow.id, name="big", filter_="event.amount > 100",
            vars={"user": "event.metadata.user"}))
        assert trigger.v2_create_trigger_response is not None
        tid = trigger.v2_create_trigger_response.data.id
        tested = await v2.test_trigger_async(request=TestTriggerRequest(
            trigger_id=tid, request_body={"amount": 150, "metadata": {"user": "7"}}))
        assert tested.v2_test_trigger_response is not None
        result = tested.v2_test_trigger_response.data
        assert result.filter_ is not None and result.filter_.match is True
        assert result.variables is not None and result.variables["user"].value == "7"
        triggers = await v2.list_triggers_async(request={})
        assert triggers.v2_list_triggers_response is not None
        assert [t.id for t in triggers.v2_list_triggers_response.cursor.data] == [tid]
        read = await v1.read_trigger_async(request={"trigger_id": tid})
        assert read.read_trigger_response is not None
        assert read.read_trigger_response.data.event == "SAVED_PAYMENT"
        occurrences = await v2.list_triggers_occurrences_async(request={"trigger_id": tid})
        assert occurrences.v2_list_triggers_occurrences_response is not None
        assert occurrences.v2_list_triggers_occurrences_response.cursor.data == []
        assert (await v1.delete_trigger_async(request={"trigger_id": tid})).status_code == 204
        assert (await v2.delete_workflow_async(request={"flow_id": wid})).status_code == 204

        # The remaining calls of both versions, on the objects above.
        assert (await v1.get_server_info_orchestration_async()).status_code == 200
        flows_v2 = await v2.list_workflows_async(request={})
        assert flows_v2.v2_list_workflows_response is not None
        assert [w.id for w in flows_v2.v2_list_workflows_response.cursor.data] == [flow.id]
        flows_v1 = await v1.list_workflows_async()
        assert flows_v1.list_workflows_response is not None
        assert [w.id for w in flows_v1.list_workflows_response.data] == [flow.id]
        got_v2 = await v2.get_workflow_async(request={"flow_id": flow.id})
        assert got_v2.v2_get_workflow_response is not None
        got_v1 = await v1.get_workflow_async(request={"flow_id": flow.id})
        assert got_v1.get_workflow_response is not None
        assert got_v1.get_workflow_response.data.config.name == "pay"
        one = await v2.get_instance_async(request={"instance_id": instance.id})
        assert one.v2_get_workflow_instance_response is not None
        assert one.v2_get_workflow_instance_response.data.terminated
        runs = await v1.list_instances_async(request={"workflow_id": flow.id})
        assert runs.list_runs_response is not None
        assert [i.id for i in runs.list_runs_response.data] == [instance.id]
        h1 = await v1.get_instance_history_async(request={"instance_id": instance.id})
        assert h1.get_workflow_instance_history_response is not None
        s1 = await v1.get_instance_stage_history_async(
            request={"instance_id": instance.id, "number": 0})
        assert s1.get_workflow_instance_history_stage_response is not None
        assert s1.get_workflow_instance_history_stage_response.data[0].name == \
            "CreateTransaction"

        # v2 events and v1 abort on a new waiting instance.
        waiting2 = await v2.create_workflow_async(request={"stages": [
            {"wait_event": {"event": "go"}}, {"wait_event": {"event": "never"}}]})
        assert waiting2.v2_create_workflow_response is not None
        run2 = await v2.run_workflow_async(request={
            "workflow_id": waiting2.v2_create_workflow_response.data.id})
        assert run2.v2_run_workflow_response is not None
        third = run2.v2_run_workflow_response.data.id
        sent2 = await v2.send_event_async(request={"instance_id": third,
                                                   "request_body": {"name": "go"}})
        assert sent2.status_code == 204
        await asyncio.sleep(0.3)
        assert (await v1.cancel_event_async(request={"instance_id": third})).status_code == 204
        ended = await _until_terminated(sdk, third)
        assert ended.error == "aborted" and ended.status is not None and len(ended.status) == 2

        # v1 triggers, v2 read and delete.
        created_v1 = await v1.create_trigger_async(request=TriggerData(
            event="COMMITTED_TRANSACTIONS", workflow_id=flow.id))
        assert created_v1.create_trigger_response is not None
        tid1 = created_v1.create_trigger_response.data.id
        listed_v1 = await v1.list_triggers_async(request={})
        assert listed_v1.list_triggers_response is not None
        assert [t.id for t in listed_v1.list_triggers_response.data] == [tid1]
        occurred = await v1.list_triggers_occurrences_async(request={"trigger_id": tid1})
        assert occurred.list_triggers_occurrences_response is not None
        read2 = await v2.read_trigger_async(request={"trigger_id": tid1})
        assert read2.v2_read_trigger_response is not None
        assert (await v2.delete_trigger_async(request={"trigger_id": tid1})).status_code == 204
        assert (await v1.delete_workflow_async(request={"flow_id": flow.id})).status_code == 204
