"""Bulk replay of deliveries (`POST /deliveries/replay`): filters, counts, paging and the
Idempotency-Key cache, against real PostgreSQL (no sender running: the rows show the replay)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import insert, select

from storage.database import Database
from storage.webhooks.tables import webhook_deliveries

URL = "/api/webhooks/deliveries/replay"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def _config(client: httpx.AsyncClient) -> str:
    resp = await client.post("/api/webhooks/configs", json={
        "endpoint": "https://example.com/hook", "eventTypes": ["ledger.committed_transactions"]})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["data"]["id"])


async def _delivery(database: Database, config_id: str, status: str, minute: int,
                    attempts: int = 1) -> UUID:
    delivery_id = uuid4()
    at = T0 + timedelta(minutes=minute)
    async with database.transaction() as conn:
        await conn.execute(insert(webhook_deliveries).values(
            id=delivery_id, event_id=minute, config_id=UUID(config_id),
            event_type="ledger.committed_transactions", payload="{}", status=status,
            attempt_count=attempts, replay_generation=0, cycle_started_at=at,
            last_attempt_at=at, created_at=at, updated_at=at,
        ))
    return delivery_id


async def _rows(database: Database) -> dict[UUID, dict[str, Any]]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(select(webhook_deliveries))).all()
    return {r.id: dict(r._mapping) for r in rows}


async def test_bulk_replay_filters_pages_and_is_idempotent(
    client: httpx.AsyncClient, database: Database,
) -> None:
    config, other = await _config(client), await _config(client)
    failed = [await _delivery(database, config, "failed", m) for m in (1, 2, 3)]
    pending = await _delivery(database, config, "pending", 4)
    succeeded = await _delivery(database, config, "succeeded", 5)
    too_late = await _delivery(database, config, "failed", 60)
    elsewhere = await _delivery(database, other, "failed", 6)
    body = {"createdAtFrom": T0.isoformat(), "createdAtTo": (T0 + timedelta(minutes=30))
            .isoformat(), "configIds": [config], "pageSize": 3}

    first = await client.post(URL, json=body, headers={"Idempotency-Key": "bulk-1"})
    assert first.status_code == 200, first.text
    page = first.json()["data"]
    assert (page["replayed"], page["expedited"], page["skipped"], page["hasMore"]) == (
        3, 0, 0, True)
    assert page["createdAtTo"] == "2026-01-01T00:30:00Z"
    repeat = await client.post(URL, json=body, headers={"Idempotency-Key": "bulk-1"})
    assert repeat.status_code == 200 and repeat.json() == first.json()

    rows = await _rows(database)
    for delivery_id in failed:
        assert rows[delivery_id]["replay_generation"] == 1  # once, despite the repeat
        assert rows[delivery_id]["status"] == "pending"
        assert rows[delivery_id]["attempt_count"] == 0
    assert rows[too_late]["replay_generation"] == 0 and rows[too_late]["status"] == "failed"
    assert rows[elsewhere]["replay_generation"] == 0
    assert rows[succeeded]["status"] == "succeeded"

    body["cursor"] = page["nextCursor"]
    second = (await client.post(URL, json=body, headers={"Idempotency-Key": "bulk-2"})).json()
    assert second["data"]["expedited"] == 1 and second["data"]["replayed"] == 0
    assert second["data"]["hasMore"] is False and "nextCursor" not in second["data"]
    rows = await _rows(database)
    assert rows[pending]["replay_generation"] == 1 and rows[pending]["status"] == "pending"

    reused = await client.post(URL, json={**body, "pageSize": 1},
                               headers={"Idempotency-Key": "bulk-1"})
    assert reused.status_code == 409 and reused.json()["errorCode"] == "CONFLICT"


async def test_bulk_replay_skips_inactive_configs_and_validates(
    client: httpx.AsyncClient, database: Database,
) -> None:
    config = await _config(client)
    delivery_id = await _delivery(database, config, "failed", 1)
    await client.put(f"/api/webhooks/configs/{config}/deactivate")
    resp = await client.post(URL, json={"createdAtFrom": T0.isoformat()},
                             headers={"Idempotency-Key": "bulk-inactive"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["skipped"] == 1 and resp.json()["data"]["replayed"] == 0
    assert (await _rows(database))[delivery_id]["replay_generation"] == 0

    bad = await client.post(URL, json={"createdAtFrom": T0.isoformat(),
                                       "statuses": ["succeeded"]},
                            headers={"Idempotency-Key": "bulk-bad"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "VALIDATION"
    no_key = await client.post(URL, json={"createdAtFrom": T0.isoformat()})
    assert no_key.status_code == 400
    single = await client.post(f"/api/webhooks/deliveries/{delivery_id}/replay",
                               headers={"Idempotency-Key": "one"})
    assert single.status_code == 409 and single.json()["errorCode"] == "CONFLICT"
    unknown = await client.post(f"/api/webhooks/deliveries/{uuid4()}/replay",
                                headers={"Idempotency-Key": "two"})
    assert unknown.status_code == 404
