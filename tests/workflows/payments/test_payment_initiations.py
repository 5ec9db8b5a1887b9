"""Payment initiations end to end over HTTP, with real PostgreSQL, the real Temporal dev server
and both connectors (dummypay on files, generic against the fake PSP on real HTTP): create,
approve and PROCESSED with the provider's payment linked; reject; delete; a scheduled one waits
for its time (or is deleted and never sent); retry after a provider failure; partial and full
reversal, and the reversals refused; approve racing reject. Records the histories replayed by
tests/replay (LEDGERFLOW_RECORD_HISTORIES=1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage.database import Database
from tests.workflows.payments.initiation_env import Connected, Env, P, initiation_env
from workflows import search_attributes


@pytest.fixture
async def env(database_url: str, database: Database, temporal_env: Any,
              temporal_address: str) -> AsyncIterator[Env]:
    async with initiation_env(database_url, database, temporal_env, temporal_address) as e:
        yield e


async def _dummypay(env: Env, tmp_path: Path) -> Connected:
    return await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})


async def _generic(env: Env) -> Connected:
    return await env.connector("generic", {"name": "g", "apiKey": "secret",
                                           "endpoint": env.url})


def _error(r: Any, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.json()
    return str(r.json()["errorMessage"])


async def test_create_approve_processed_with_dummypay(env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    pid = await env.create(connected, reference="rent-2025-01")
    created = await env.get(pid)
    assert (created["status"], created["amount"], created["asset"], created["type"],
            created["reference"], created["scheduledAt"]) == (
        "WAITING_FOR_VALIDATION", 1000, "EUR/2", "TRANSFER", "rent-2025-01",
        "0001-01-01T00:00:00Z")
    listed = (await env.http.get(f"{P}/payment-initiations")).json()["cursor"]["data"]
    assert [x["id"] for x in listed] == [pid]
    # Found in the Temporal UI by its search attributes while it waits.
    desc = await env.handle(pid).describe()
    assert desc.typed_search_attributes.get(search_attributes.STATUS) == \
        "WAITING_FOR_VALIDATION"
    assert desc.typed_search_attributes.get(search_attributes.KIND) == "TRANSFER"
    assert desc.typed_search_attributes.get(search_attributes.PROVIDER) == "dummypay"
    assert desc.typed_search_attributes.get(search_attributes.CONNECTOR_ID) == connected.id

    r = await env.http.post(f"{P}/payment-initiations/{pid}/approve")
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["taskID"]
    await env.status(pid, "PROCESSED")
    assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "PROCESSING", "PROCESSED"]
    task = await env.task(task_id)
    assert task["status"] == "SUCCEEDED" and task["connectorID"] == connected.id
    related = (await env.http.get(f"{P}/payment-initiations/{pid}/payments")).json()
    [payment] = related["cursor"]["data"]
    assert task["createdObjectID"] == payment["id"]
    assert (payment["amount"], payment["asset"], payment["status"], payment["type"]) == (
        1000, "EUR/2", "SUCCEEDED", "TRANSFER")
    desc = await env.handle(pid).describe()
    assert desc.typed_search_attributes.get(search_attributes.STATUS) == "PROCESSED"
    assert await env.events("SAVED_PAYMENT_INITIATION") == 1
    assert await env.events("SAVED_PAYMENT_INITIATION_ADJUSTMENT") == 3
    assert await env.events("SAVED_PAYMENT_INITIATION_RELATED_PAYMENT") == 1
    # Approved twice: the second is refused at once, nothing written.
    _error(await env.http.post(f"{P}/payment-initiations/{pid}/approve"), 400, "VALIDATION")
    assert len(await env.statuses(pid)) == 3
    await env.record(pid, "initiation_processed")
