"""Triggers from the events outbox: a trigger on COMMITTED_TRANSACTIONS with a filter starts
exactly one instance per matching transaction and none for the others, also when the outbox
redelivers; variables come from the event; failing expressions are recorded as occurrences
with their error; the test endpoint evaluates a payload."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from tests.workflows.orchestration.flow_env import V1, V2, Flows, flows_stack
from workers.dispatcher import OUTBOX_CONSUMERS
from workers.triggers_dispatch import CONSUMER_NAME, Launcher, TriggersConsumer, run_triggers
from workflows import search_attributes
from workflows.orchestration.inputs import instance_workflow_id

FILTER = ('event.transactions[0].postings[0].destination startsWith "orders:" && '
          "event.transactions[0].postings[0].amount >= 100")
VARS = {"user": 'trimPrefix(event.transactions[0].postings[0].destination, "orders:")',
        "amount": "string(event.transactions[0].postings[0].amount)"}


async def post(flows: Flows, ledger: str, destination: str, amount: int) -> None:
    r = await flows.http.post(f"/api/ledger/v2/{ledger}/transactions", json={
        "postings": [{"source": "world", "destination": destination, "amount": amount,
                      "asset": "USD/2"}]})
    assert r.status_code == 200, r.text


async def consume(flows: Flows, database: Database) -> int:
    """One pass of the consumer loop: every batch, then the launches."""
    dispatcher = OutboxDispatcher(database, TriggersConsumer(), batch_size=50)
    while await dispatcher.dispatch_batch():
        pass
    return await Launcher(database, flows.client, flows.stack.modules).launch_pending()


async def occurrences(flows: Flows, trigger_id: str) -> list[dict[str, Any]]:
    r = await flows.http.get(f"{V2}/triggers/{trigger_id}/occurrences")
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["cursor"]["data"]
    return data


async def test_one_instance_per_matching_transaction_even_when_redelivered(
        flows: Flows, database: Database) -> None:
    main = await flows.ledger("main")
    flow = await flows.flow({"send": {
        "source": {"account": {"id": "world", "ledger": main}},
        "destination": {"account": {"id": "rewards:${user}", "ledger": main}},
        "amount": {"asset": "USD/2", "amount": "${amount}"}}})
    r = await flows.http.post(f"{V2}/triggers", json={
        "event": "COMMITTED_TRANSACTIONS", "workflowID": flow, "filter": FILTER,
        "vars": VARS, "name": "rewards"})
    assert r.status_code == 201, r.text
    trigger = r.json()["data"]
    await post(flows, main, "orders:1", 150)
    await post(flows, main, "orders:2", 50)  # below the filter's threshold
    await post(flows, main, "refunds:3", 500)  # another destination
    assert await consume(flows, database) == 1

    (occurrence,) = await occurrences(flows, trigger["id"])
    assert "error" not in occurrence
    assert occurrence["event"]["transactions"][0]["postings"][0]["destination"] == "orders:1"
    instance = await flows.wait_end(occurrence["workflowInstanceID"])
    assert instance["terminated"] and "error" not in instance, instance
    assert await flows.balance(main, "rewards:1") == 150
    described = await flows.client.get_workflow_handle(
        instance_workflow_id(instance["id"])).describe()
    attributes = described.typed_search_attributes
    assert attributes.get(search_attributes.TRIGGER_ID) == [trigger["id"]]
    assert attributes.get(search_attributes.FLOW_ID) == flow
    assert attributes.get(search_attributes.STATUS) == "SUCCEEDED"

    # The outbox redelivers everything (offset lost): nothing new is recorded or started.
    async with database.transaction() as conn:
        await conn.execute(text("UPDATE events_consumer_offsets SET last_tx_id = '0', "
                                "last_event_id = 0 WHERE consumer = :c"), {"c": CONSUMER_NAME})
    assert await consume(flows, database) == 0
    assert len(await occurrences(flows, trigger["id"])) == 1
    r = await flows.http.get(f"{V2}/instances", params={"workflowID": flow})
    assert len(r.json()["cursor"]["data"]) == 1
    assert await flows.balance(main, "rewards:1") == 150

    # The trigger's own events went through the outbox too.
    async with database.engine.connect() as conn:
        types = (await conn.execute(text(
            "SELECT type FROM events_outbox WHERE app = 'orchestration' ORDER BY id"))).scalars()
        seen = list(types)
    assert seen.count("SUCCEEDED_TRIGGER") == 1
    assert {"STARTED_WORKFLOW", "STARTED_WORKFLOW_STAGE", "SUCCEEDED_WORKFLOW_STAGE",
            "SUCCEEDED_WORKFLOW"} <= set(seen)


async def test_failing_variable_is_an_occurrence_with_its_error(flows: Flows,
                                                                 database: Database) -> None:
    main = await flows.ledger("main")
    flow = await flows.flow({"noop": {}})
    r = await flows.http.post(f"{V1}/triggers", json={
        "event": "COMMITTED_TRANSACTIONS", "workflowID": flow,
        "vars": {"missing": "event.transactions[0].metadata.order.id"}})
    assert r.status_code == 201, r.text
    trigger_id = r.json()["data"]["id"]
    await post(flows, main, "users:1", 10)
    assert await consume(flows, database) == 0
    (occurrence,) = await occurrences(flows, trigger_id)
    assert "workflowInstanceID" not in occurrence
    assert "vars.missing: cannot fetch 'id' from nil" in occurrence["error"]
    r = await flows.http.get(f"{V1}/triggers/{trigger_id}/occurrences")
    assert len(r.json()["data"]) == 1


async def test_the_test_endpoint_evaluates_a_payload(flows: Flows) -> None:
    flow = await flows.flow({"noop": {}})
    r = await flows.http.post(f"{V2}/triggers", json={
        "event": "SAVED_PAYMENT", "workflowID": flow,
        "filter": 'event.amount > 100 && event.asset == "USD/2"',
        "vars": {"id": "event.id", "half": "event.amount / 2", "bad": "event.nope.x"}})
    trigger_id = r.json()["data"]["id"]
    r = await flows.http.post(f"{V2}/triggers/{trigger_id}/test",
                              json={"id": "p1", "amount": 150, "asset": "USD/2"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"filter": {"match": True}, "variables": {
        "id": {"value": "p1"}, "half": {"value": "75"},
        "bad": {"error": "cannot fetch 'x' from nil (column 11)"}}}
    r = await flows.http.post(f"{V2}/triggers/{trigger_id}/test",
                              json={"amount": "150", "asset": "USD/2"})
    assert r.json()["data"]["filter"]["match"] is False
    assert "invalid operation" in r.json()["data"]["filter"]["error"]


async def test_trigger_crud_and_bad_input(flows: Flows) -> None:
    flow = await flows.flow({"noop": {}})
    bad: list[tuple[dict[str, Any], str]] = [
        ({"event": "SAVED_PAYMENT", "workflowID": flow, "filter": "event.amount >"},
         "filter: unexpected end of expression"),
        ({"event": "SAVED_PAYMENT", "workflowID": flow, "filter": "payment.amount > 1"},
         "filter: unknown name 'payment'"),
        ({"event": "SAVED_PAYMENT", "workflowID": flow, "vars": {"x": "nothing"}},
         "vars.x: unknown name 'nothing'"),
        ({"event": "SAVED_PAYMENT", "workflowID": flow, "vars": {"x": 3}},
         "vars.x: must be an expression"),
        ({"event": "SAVED_PAYMENT", "workflowID": "nope"}, "workflow 'nope' not found"),
        ({"event": "", "workflowID": flow}, "event: must not be empty"),
        ({"event": "SAVED_PAYMENT", "workflowID": flow, "filter": "1" + " + 1" * 2000},
         "filter: expression too long"),
        ({"event": "SAVED_PAYMENT", "workflowID": flow, "filter": "(" * 100 + "1" + ")" * 100},
         "filter: expression nested too deeply"),
    ]
    for body, message in bad:
        r = await flows.http.post(f"{V2}/triggers", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["errorCode"] == "VALIDATION" and message in r.json()["errorMessage"], \
            r.text
    r = await flows.http.post(f"{V2}/triggers", json={"event": "SAVED_PAYMENT",
                                                      "workflowID": flow, "name": "t1"})
    trigger = r.json()["data"]
    r = await flows.http.get(f"{V2}/triggers", params={"name": "t1"})
    assert [t["id"] for t in r.json()["cursor"]["data"]] == [trigger["id"]]
    r = await flows.http.get(f"{V1}/triggers/{trigger['id']}")
    assert r.json()["data"]["event"] == "SAVED_PAYMENT"
    r = await flows.http.delete(f"{V2}/triggers/{trigger['id']}")
    assert r.status_code == 204
    r = await flows.http.get(f"{V2}/triggers/{trigger['id']}")
    assert r.status_code == 404 and r.json()["errorCode"] == "NOT_FOUND"



async def test_the_dispatcher_loop_starts_instances_as_events_arrive(
        flows: Flows, database: Database) -> None:
    main = await flows.ledger("main")
    flow = await flows.flow({"noop": {}})
    r = await flows.http.post(f"{V2}/triggers", json={
        "event": "COMMITTED_TRANSACTIONS", "workflowID": flow, "filter": FILTER})
    trigger_id = r.json()["data"]["id"]
    assert OUTBOX_CONSUMERS["orchestration-triggers"] is run_triggers
    stop = asyncio.Event()
    loop = asyncio.create_task(run_triggers(flows.stack.settings, database, flows.client,
                                            flows.stack.modules, stop))
    try:
        await post(flows, main, "orders:7", 100)
        for _ in range(100):
            found = await occurrences(flows, trigger_id)
            if found:
                break
            await asyncio.sleep(0.1)
        (occurrence,) = found
        instance = await flows.wait_end(occurrence["workflowInstanceID"])
        assert instance["terminated"] and "error" not in instance
    finally:
        stop.set()
        await loop


async def test_the_test_endpoint_reads_links_over_http_under_the_allowed_prefixes(
        database_url: str, database: Database, temporal_env: Any, temporal_address: str,
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"data": {"id": "acc-1", "metadata": {"tier": "gold"}}}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                     b"content-length: " + str(len(body)).encode() + b"\r\n"
                     b"connection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    allowed = f"http://127.0.0.1:{port}/api/"
    try:
        async with flows_stack(database_url, database, temporal_env, temporal_address,
                               link_allowed_prefixes=allowed) as flows:
            flow = await flows.flow({"noop": {}})
            r = await flows.http.post(f"{V2}/triggers", json={
                "event": "SAVED_PAYMENT", "workflowID": flow,
                "filter": 'link(event, "account").metadata.tier == "gold"',
                "vars": {"account": 'link(event, "account").id'}})
            trigger_id = r.json()["data"]["id"]

            async def test(uri: str) -> dict[str, Any]:
                r = await flows.http.post(f"{V2}/triggers/{trigger_id}/test", json={
                    "links": [{"name": "account", "uri": uri}]})
                assert r.status_code == 200, r.text
                return r.json()["data"]  # type: ignore[no-any-return]

            assert await test(f"{allowed}accounts/acc-1") == {
                "filter": {"match": True}, "variables": {"account": {"value": "acc-1"}}}
            # The same server outside the prefix, or behind a user-info trick, is never read:
            # a link may not make this process fetch what the caller names.
            for uri in (f"http://127.0.0.1:{port}/internal/secret",
                        f"http://127.0.0.1:{port}@127.0.0.1:{port}/api/x",
                        f"http://localhost:{port}/api/accounts/acc-1"):
                result = await test(uri)
                assert "error" in result["filter"], result
                assert "allowed prefix" in result["filter"]["error"]
    finally:
        server.close()
        await server.wait_closed()
