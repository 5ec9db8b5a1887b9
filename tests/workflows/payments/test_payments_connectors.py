"""The generic connector end to end, over HTTP, with real PostgreSQL, the real Temporal dev
server and the fake PSP on real HTTP: install creates one schedule per capability (BUFFER_ONE,
triggered at once, findable by connector id), accounts, balances, external accounts and
payments arrive with the provider's amounts, a second poll changes nothing, a changed payment
becomes an adjustment, a failing and rate-limiting provider stores nothing twice, and uninstall
removes schedules and rows. Records the histories replayed by tests/replay
(LEDGERFLOW_RECORD_HISTORIES=1)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text
from temporalio.client import Client, ScheduleOverlapPolicy, WorkflowHandle
from temporalio.service import RPCError

from domain.payments.models import FETCH_CAPABILITIES as ALL_FETCHES
from domain.payments.registry import GENERIC
from storage.database import Database
from tests.replay.recording import write_history
from tests.support.payments_fake_psp import serve_fake_psp
from tests.temporal_stack import ModuleStack, unique_modules
from workers.fake_psp import FakePSP
from workflows import search_attributes
from workflows.payments.inputs import (
    FETCH_WORKFLOW,
    install_workflow_id,
    reset_workflow_id,
    schedule_id,
    uninstall_workflow_id,
    update_schedules_workflow_id,
)

# The schedules of a generic connector: its fetch capabilities (it has no orders nor
# conversions, so no schedule for them).
FETCH_CAPABILITIES = tuple(c for c in ALL_FETCHES if c in GENERIC.capabilities)

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "payments"
P = "/api/payments/v3"
T = TypeVar("T")


class Env:
    def __init__(self, http: httpx.AsyncClient, client: Client, psp: FakePSP, url: str,
                 database: Database) -> None:
        self.http = http
        self.client = client
        self.psp = psp
        self.url = url
        self.database = database

    async def install(self, **config: Any) -> str:
        r = await self.http.post(f"{P}/connectors/install/generic", json={
            "name": "psp", "apiKey": "secret", "endpoint": self.url, "pollingPeriod": "2s",
            "pageSize": 15, **config})
        assert r.status_code == 202, r.text
        return str(r.json()["data"])

    async def all(self, what: str, connector_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        r = await self.http.request("GET", f"{P}/{what}", params={"pageSize": 50},
                                    json={"$match": {"connector_id": connector_id}})
        while True:
            assert r.status_code == 200, r.text
            cursor = r.json()["cursor"]
            out += cursor["data"]
            if not cursor["hasMore"]:
                return out
            r = await self.http.get(f"{P}/{what}", params={"cursor": cursor["next"]})

    async def count(self, sql: str, **params: Any) -> int:
        async with self.database.engine.connect() as conn:
            return int((await conn.execute(text(sql), params)).scalar_one())

    async def events(self, event_type: str) -> int:
        return await self.count("SELECT count(*) FROM events_outbox WHERE app = 'payments' "
                                "AND type = :t", t=event_type)

    async def runs(self, connector_id: str) -> int:
        """Fetch runs the connector's schedules have started so far."""
        total = 0
        for cap in FETCH_CAPABILITIES:
            desc = await self.client.get_schedule_handle(
                schedule_id(connector_id, cap.value)).describe()
            total += desc.info.num_actions
        return total


async def eventually(check: Callable[[], Awaitable[T]], what: str, within: float = 60) -> T:
    deadline = time.monotonic() + within
    while True:
        try:
            result = await check()
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


@asynccontextmanager
async def _env(database_url: str, database: Database, temporal_env: Any, temporal_address: str,
               **settings: Any) -> AsyncIterator[Env]:
    psp = FakePSP(api_key="secret")
    psp.seed(seed=7, accounts=3, beneficiaries=2, payments=40)
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=unique_modules(payments={"min_polling_period": 1, **settings}))
    async with serve_fake_psp(psp) as url, stack.worker(), stack.http("http://t") as http:
        yield Env(http, temporal_env.client, psp, url, database)


@pytest.fixture
async def env(database_url: str, database: Database, temporal_env: Any,
              temporal_address: str) -> AsyncIterator[Env]:
    async with _env(database_url, database, temporal_env, temporal_address) as e:
        yield e


async def _record(handle: WorkflowHandle[Any, Any], name: str) -> None:
    if os.environ.get("LEDGERFLOW_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    write_history(HISTORIES / f"{name}.json", history)


async def _ingested(env: Env, cid: str, payments: int) -> bool:
    accounts = await env.all("accounts", cid)
    assert len(accounts) == 5, len(accounts)
    found = await env.all("payments", cid)
    assert len(found) == payments, len(found)
    for account in accounts:
        if account["type"] == "INTERNAL":
            r = await env.http.get(f"{P}/accounts/{account['id']}/balances")
            assert r.json()["cursor"]["data"], account["reference"]
    return True


async def test_install_ingest_repoll_adjust_and_uninstall(env: Env) -> None:
    cid = await env.install()
    await eventually(lambda: _ingested(env, cid, 40), "the first ingestion")

    # Amounts and references as the provider has them.
    payments = {p["reference"]: p for p in await env.all("payments", cid)}
    for ref, tx in env.psp.transactions.items():
        p = payments[ref]
        assert p["amount"] == p["initialAmount"] == int(tx["amount"])
        assert p["asset"] == tx["currency"] and p["status"] == tx["status"]
        assert p["type"] == {"PAYIN": "PAY-IN"}.get(tx["type"], tx["type"])
        assert len(p["adjustments"]) == 1
    accounts = {a["reference"]: a for a in await env.all("accounts", cid)}
    assert {r for r, a in accounts.items() if a["type"] == "EXTERNAL"} == {"ben-0", "ben-1"}
    for ref, balances in env.psp.balances.items():
        r = await env.http.get(f"{P}/accounts/{accounts[ref]['id']}/balances")
        [balance] = r.json()["cursor"]["data"]
        assert balance["balance"] == int(balances[0]["amount"])
        assert balance["asset"] == balances[0]["currency"]
    one = payments["tx-3"]
    assert (await env.http.get(f"{P}/payments/{one['id']}")).json()["data"] == one
    assert (await env.http.get(f"{P}/connectors/{cid}/config")).json()["data"]["apiKey"] \
        == "secret"
    [connector] = (await env.http.get(f"{P}/connectors")).json()["cursor"]["data"]
    assert connector["id"] == cid and connector["provider"] == "generic"

    # One schedule per capability, BUFFER_ONE, findable by connector id.
    for cap in FETCH_CAPABILITIES:
        desc = await env.client.get_schedule_handle(schedule_id(cid, cap.value)).describe()
        assert desc.schedule.policy.overlap is ScheduleOverlapPolicy.BUFFER_ONE
        assert desc.typed_search_attributes.get(search_attributes.CONNECTOR_ID) == cid
    assert (await env.http.get("/api/payments/_healthcheck")).status_code == 200

    # A second poll of every schedule changes nothing.
    events = {t: await env.events(t) for t in ("SAVED_ACCOUNT", "SAVED_BALANCE",
                                               "SAVED_PAYMENT")}
    assert events == {"SAVED_ACCOUNT": 5, "SAVED_BALANCE": 3, "SAVED_PAYMENT": 40}
    rows = await env.count("SELECT count(*) FROM payments_adjustments")
    runs = await env.runs(cid)
    await eventually(lambda: _more_runs(env, cid, runs + 2 * len(FETCH_CAPABILITIES)),
                     "another run of every schedule")
    await _quiet(env, cid)
    assert {t: await env.events(t) for t in events} == events
    assert await env.count("SELECT count(*) FROM payments_adjustments") == rows

    # The provider changes a payment and adds one: the next poll picks both up.
    env.psp.upsert_transaction({"id": "tx-1", "status": "REFUNDED", "amount": "5"})
    env.psp.upsert_transaction({"id": "tx-new", "type": "PAYIN", "status": "PENDING",
                                "currency": "EUR/2", "amount": "99"})

    async def adjusted() -> bool:
        found = {p["reference"]: p for p in await env.all("payments", cid)}
        changed = found["tx-1"]
        assert changed["status"] == "REFUNDED" and changed["amount"] == 5
        assert changed["initialAmount"] == payments["tx-1"]["initialAmount"]
        assert changed["adjustments"][0]["status"] == "REFUNDED"  # newest first
        assert len(changed["adjustments"]) == 2
        return bool(found["tx-new"]["amount"] == 99)

    await eventually(adjusted, "the adjustment and the new payment")
    assert await env.events("SAVED_PAYMENT") == 42

    # Histories of a real install and of a completed fetch run, for replay.
    await _record(env.client.get_workflow_handle(install_workflow_id(cid)), "install_generic")
    query = (f'WorkflowType = "{FETCH_WORKFLOW}" AND ExecutionStatus = "Completed" AND '
             f'{search_attributes.CONNECTOR_ID.name} = "{cid}"')
    fetches = [env.client.get_workflow_handle(e.id, run_id=e.run_id)
               async for e in env.client.list_workflows(query)
               if "FETCH_PAYMENTS" in e.id]
    assert fetches
    # The first run (several pages) rather than a later one-page run.
    longest = max([(len((await h.fetch_history()).events), h) for h in fetches],
                  key=lambda x: x[0])
    await _record(longest[1], "fetch_payments_pages")

    # Schedules are listed; a config change moves every schedule to the new period.
    r = await env.http.get(f"{P}/connectors/{cid}/schedules")
    listed = sorted(x["id"] for x in r.json()["cursor"]["data"])
    assert listed == sorted(schedule_id(cid, c.value) for c in FETCH_CAPABILITIES)
    r = await env.http.get(f"{P}/connectors/{cid}/schedules/{listed[0]}")
    assert r.status_code == 200 and r.json()["data"]["connectorID"] == cid
    assert (await env.http.get(f"{P}/connectors/{cid}/capabilities")).json()["data"]
    config = (await env.http.get(f"{P}/connectors/{cid}/config")).json()["data"]
    r = await env.http.patch(f"{P}/connectors/{cid}/config",
                             json={**config, "pollingPeriod": "7s"})
    assert r.status_code == 204, r.text
    r = await env.http.patch(f"{P}/connectors/{cid}/config",
                             json={**config, "pollingPeriod": "nope"})
    assert r.status_code == 400 and "pollingPeriod" in r.json()["errorMessage"]
    assert (await env.http.get(f"{P}/connectors/{cid}/config")).json()["data"][
        "pollingPeriod"] == "7s"

    async def every_7s() -> bool:
        for sid in listed:
            desc = await env.client.get_schedule_handle(sid).describe()
            assert desc.schedule.spec.intervals[0].every == timedelta(seconds=7), sid
        return True

    await eventually(every_7s, "the new polling period on every schedule")
    update = env.client.get_workflow_handle(update_schedules_workflow_id(cid))
    await update.result()
    await _record(update, "update_schedules")

    # A pool of two ingested accounts: their balances add up; the uninstall empties it.
    internal = [a for a in accounts.values() if a["type"] == "INTERNAL"][:2]
    r = await env.http.post(f"{P}/pools", json={"name": "pool",
                                                "accountIDs": [a["id"] for a in internal]})
    assert r.status_code == 201, r.text
    pool = r.json()["data"]
    latest = (await env.http.get(f"{P}/pools/{pool}/balances/latest")).json()["data"]
    expected: dict[str, int] = {}
    for a in internal:
        [b] = env.psp.balances[a["reference"]]
        expected[b["currency"]] = expected.get(b["currency"], 0) + int(b["amount"])
    assert {b["asset"]: b["amount"] for b in latest} == expected

    # Uninstall: a task that succeeds, no schedule, no row left but the task.
    r = await env.http.delete(f"{P}/connectors/{cid}")
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["taskID"]

    async def task_done() -> bool:
        task = (await env.http.get(f"{P}/tasks/{task_id}")).json()["data"]
        assert task["status"] != "FAILED", task
        return bool(task["status"] == "SUCCEEDED")

    await eventually(task_done, "the uninstall task")
    for cap in FETCH_CAPABILITIES:
        with pytest.raises(RPCError):
            await env.client.get_schedule_handle(schedule_id(cid, cap.value)).describe()
    for table in ("payments_accounts", "payments_balances", "payments_payments",
                  "payments_adjustments", "payments_states", "payments_schedules"):
        assert await env.count(f"SELECT count(*) FROM {table}") == 0, table
    assert (await env.http.get(f"{P}/connectors")).json()["cursor"]["data"] == []
    assert (await env.http.get(f"{P}/pools/{pool}")).json()["data"]["poolAccounts"] == []
    r = await env.http.get(f"{P}/connectors/{cid}/config")
    assert r.status_code == 404
    await _record(env.client.get_workflow_handle(uninstall_workflow_id(cid)), "uninstall")


async def _more_runs(env: Env, cid: str, at_least: int) -> bool:
    return await env.runs(cid) >= at_least


async def _quiet(env: Env, cid: str) -> None:
    """Waits until no fetch of the connector is running (the last run's writes are done)."""
    query = (f'WorkflowType = "{FETCH_WORKFLOW}" AND ExecutionStatus = "Running" AND '
             f'{search_attributes.CONNECTOR_ID.name} = "{cid}"')
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not [e async for e in env.client.list_workflows(query)]:
            return
        await asyncio.sleep(0.1)


async def test_a_failing_provider_is_retried_and_nothing_is_stored_twice(env: Env) -> None:
    env.psp.faults.rate_limit = 2
    env.psp.faults.retry_after = 0.5
    env.psp.faults.fail = 2
    env.psp.faults.garbage = 1
    cid = await env.install()
    await eventually(lambda: _ingested(env, cid, 40), "ingestion despite failures", 90)
    assert env.psp.faults.rate_limit == env.psp.faults.fail == env.psp.faults.garbage == 0
    # The API kept answering, and every object was saved exactly once.
    assert await env.events("SAVED_PAYMENT") == 40
    assert await env.count("SELECT count(*) FROM payments_payments") == 40
    assert await env.events("SAVED_ACCOUNT") == 5


async def test_reset_reinstalls_under_a_new_id(env: Env) -> None:
    old = await env.install()
    await eventually(lambda: _ingested(env, old, 40), "the first ingestion")
    r = await env.http.post(f"{P}/connectors/{old}/reset")
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]

    async def new_connector() -> str | None:
        task = (await env.http.get(f"{P}/tasks/{task_id}")).json()["data"]
        assert task["status"] != "FAILED", task
        return task["createdObjectID"] if task["status"] == "SUCCEEDED" else None

    new = await eventually(new_connector, "the reset task")
    assert new and new != old
    [connector] = (await env.http.get(f"{P}/connectors")).json()["cursor"]["data"]
    assert connector["id"] == new and connector["name"] == "psp"
    assert connector["config"]["pollingPeriod"] == "2s"
    for cap in FETCH_CAPABILITIES:
        with pytest.raises(RPCError):
            await env.client.get_schedule_handle(schedule_id(old, cap.value)).describe()
    # The new connector ingests everything again, under its own ids; nothing of the old is left.
    await eventually(lambda: _ingested(env, new, 40), "ingestion under the new id")
    assert await env.count("SELECT count(*) FROM payments_payments WHERE connector_id = :c",
                           c=old) == 0
    assert await env.events("CONNECTOR_RESET") == 1
    await _record(env.client.get_workflow_handle(reset_workflow_id(old)), "reset")


async def test_a_connector_failing_run_after_run_is_paused_and_resumes_on_config_change(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with _env(database_url, database, temporal_env, temporal_address,
                    pause_after_failures=2) as env:
        cid = await env.install(apiKey="wrong")  # the PSP answers 401: every run fails

        async def paused() -> list[dict[str, Any]]:
            r = await env.http.get(f"{P}/connectors/{cid}/schedules")
            schedules = r.json()["cursor"]["data"]
            assert len(schedules) == len(FETCH_CAPABILITIES)
            assert all(x["pausedAt"] for x in schedules), schedules
            return list(schedules)

        schedules = await eventually(paused, "the schedules paused")
        assert "2 failed runs in a row" in schedules[0]["pausedReason"]
        assert "401" in schedules[0]["pausedReason"]
        for x in schedules:
            desc = await env.client.get_schedule_handle(x["id"]).describe()
            assert desc.schedule.state.paused
            assert "failed runs" in (desc.schedule.state.note or "")
        # One schedule reached two failed runs in a row; that paused all of the connector's.
        runs = {}
        for x in schedules:
            r = await env.http.get(f"{P}/connectors/{cid}/schedules/{x['id']}/instances")
            runs[x["id"]] = r.json()["cursor"]["data"]
        assert max(len(v) for v in runs.values()) >= 2
        sid = schedule_id(cid, "FETCH_ACCOUNTS")
        instances = runs[sid]
        assert instances and all(i["terminated"] and "401" in i["error"] for i in instances)
        assert await env.count("SELECT count(*) FROM payments_accounts") == 0
        failed = (f'WorkflowType = "{FETCH_WORKFLOW}" AND ExecutionStatus = "Failed" AND '
                  f'{search_attributes.CONNECTOR_ID.name} = "{cid}"')
        async for e in env.client.list_workflows(failed):
            await _record(env.client.get_workflow_handle(e.id, run_id=e.run_id),
                          "fetch_failed_and_paused")
            break

        # The right key: the config change resumes every schedule, and the data arrives.
        config = (await env.http.get(f"{P}/connectors/{cid}/config")).json()["data"]
        r = await env.http.patch(f"{P}/connectors/{cid}/config",
                                 json={**config, "apiKey": "secret"})
        assert r.status_code == 204, r.text

        async def resumed() -> bool:
            r = await env.http.get(f"{P}/connectors/{cid}/schedules")
            assert not any(x["pausedAt"] for x in r.json()["cursor"]["data"])
            for x in schedules:
                desc = await env.client.get_schedule_handle(x["id"]).describe()
                assert not desc.schedule.state.paused
            return True

        await eventually(resumed, "the schedules resumed")
        await eventually(lambda: _ingested(env, cid, 40), "ingestion after the fix")
        r = await env.http.get(f"{P}/connectors/{cid}/schedules/{sid}/instances")
        assert r.json()["cursor"]["data"][0]["error"] is None or len(
            r.json()["cursor"]["data"]) > len(instances)
        done = (f'WorkflowType = "{FETCH_WORKFLOW}" AND ExecutionStatus = "Completed" AND '
                f'{search_attributes.CONNECTOR_ID.name} = "{cid}"')
        async for e in env.client.list_workflows(done):
            if "FETCH_PAYMENTS" in e.id:
                await _record(env.client.get_workflow_handle(e.id, run_id=e.run_id),
                              "fetch_payments_recorded_as_instance")
                break
