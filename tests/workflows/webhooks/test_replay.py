"""Replaying a delivery end to end: the API starts a new generation, the dispatcher re-sends it
to the real local receiver with the same webhook id, and its attempt is listed."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import uuid4

from conftest import Stack, fast_settings
from sqlalchemy import select
from test_webhook_deliveries import _answers, _config, _publish
from webhook_receiver import Receiver

from storage.database import Database
from storage.webhooks.tables import webhook_deliveries


async def _settled(database: Database, status: str, within: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        async with database.engine.connect() as conn:
            row = (await conn.execute(select(webhook_deliveries))).first()
        if row is not None and row.status == status:
            return dict(row._mapping)
        assert time.monotonic() < deadline, f"no {status} delivery in time"
        await asyncio.sleep(0.05)


async def test_replay_of_a_succeeded_delivery_reaches_the_receiver_again(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings())
    async with Receiver() as receiver, stack.http() as api, \
            stack.worker(), stack.dispatcher():
        config = await _config(api, receiver.url)
        await _publish(database)
        delivery = await _settled(database, "succeeded")
        url = f"/api/webhooks/deliveries/{delivery['id']}/replay"
        resp = await api.post(url, headers={"Idempotency-Key": "replay-1"})
        assert resp.status_code == 200, resp.text
        replayed = resp.json()["data"]
        again = await api.post(url, headers={"Idempotency-Key": "replay-1"})
        await receiver.wait_for(2)
        await _settled(database, "succeeded")
        await asyncio.sleep(0.5)  # the repeated request must not send a third time
        detail = (await api.get(f"/api/webhooks/deliveries/{delivery['id']}")).json()["data"]
        attempts = (await api.get(f"/api/webhooks/deliveries/{delivery['id']}/attempts",
                                  params={"pageSize": 1})).json()["cursor"]
        second_page = (await api.get(f"/api/webhooks/deliveries/{delivery['id']}/attempts",
                                     params={"cursor": attempts["next"]})).json()["cursor"]
        missing = await api.post(f"/api/webhooks/deliveries/{uuid4()}/replay",
                                 headers={"Idempotency-Key": "replay-2"})
    assert replayed["replayGeneration"] == 1 and replayed["status"] == "pending"
    assert replayed["attemptCount"] == 0 and "payload" in replayed
    assert again.status_code == 200 and again.json()["data"] == replayed
    assert len(receiver.received) == 2
    assert {r.webhook_id for r in receiver.received} == {str(delivery["id"])}
    assert receiver.received[0].body == receiver.received[1].body
    assert all(r.signed_by(config["secret"]) for r in receiver.received)
    assert detail["status"] == "succeeded" and detail["replayGeneration"] == 1
    assert detail["attemptCount"] == 1
    listed = attempts["data"] + second_page["data"]
    assert [(a["replayGeneration"], a["attemptNumber"], a["outcome"]) for a in listed] == [
        (0, 1, "succeeded"), (1, 1, "succeeded")]
    assert second_page["hasMore"] is False
    assert missing.status_code == 404 and missing.json()["errorCode"] == "NOT_FOUND"


async def test_replay_of_a_failing_delivery_retries_under_a_replay_workflow_id(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings())
    async with Receiver(_answers(400, 500, 200)) as receiver, \
            stack.http() as api, stack.worker(), \
            stack.dispatcher():
        config = await _config(api, receiver.url)
        await _publish(database)
        delivery = await _settled(database, "failed")
        resp = await api.post(f"/api/webhooks/deliveries/{delivery['id']}/replay",
                              headers={"Idempotency-Key": "replay-failed"})
        assert resp.status_code == 200, resp.text
        final = await _settled(database, "succeeded")
    assert final["replay_generation"] == 1 and final["attempt_count"] == 2
    assert final["retry_workflow_id"] == f"webhook-{config['id']}-{delivery['id']}-r1"
    assert [r.webhook_id for r in receiver.received] == [str(delivery["id"])] * 3


async def test_replay_for_an_inactive_config_is_a_conflict(
    temporal_env: Any, database: Database, database_url: str, temporal_address: str,
) -> None:
    stack = Stack(temporal_env, database, database_url, temporal_address,
                  fast_settings())
    async with Receiver() as receiver, stack.http() as api, \
            stack.worker(), stack.dispatcher():
        config = await _config(api, receiver.url)
        await _publish(database)
        delivery = await _settled(database, "succeeded")
        await api.put(f"/api/webhooks/configs/{config['id']}/deactivate")
        resp = await api.post(f"/api/webhooks/deliveries/{delivery['id']}/replay",
                              headers={"Idempotency-Key": "replay-inactive"})
    assert resp.status_code == 409 and resp.json()["errorCode"] == "CONFLICT"
    assert len(receiver.received) == 1
