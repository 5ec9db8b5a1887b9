"""The dummypay connector and bank-account forwarding end to end, over HTTP, with real
PostgreSQL and the real Temporal dev server: dummypay ingests the accounts, external accounts,
balances and payments of its directory's files (an edited file is picked up by the next poll);
a bank account forwarded to it becomes an external account (task SUCCEEDED, the bank account
lists it, SAVED_BANK_ACCOUNT), forwarded again answers the same task; a connector that cannot
create bank accounts is refused with a 400. Records the forward's history for replay
(LEDGERFLOW_RECORD_HISTORIES=1). The forward alone, its activities faked, fails its task when
the provider refuses."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.payments import contracts as c
from activities.payments.connectors.dummypay.plugin import DummypayPlugin
from storage.database import Database
from tests.replay.recording import write_history
from tests.temporal_stack import ModuleStack, unique_modules
from tests.workflows.payments.test_payments_connectors import eventually
from workers.worker import sandbox_runner
from workflows.payments.forward_bank_account import ForwardBankAccountWorkflow
from workflows.payments.inputs import ForwardBankAccountInput, forward_bank_account_workflow_id

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "payments"
P = "/api/payments/v3"

ACCOUNTS = [{"reference": "main", "createdAt": "2025-01-01T00:00:00Z", "name": "Main",
             "defaultAsset": "EUR/2", "metadata": {"desk": "paris"}},
            {"reference": "reserve", "createdAt": "2025-01-01T00:00:01Z"}]
EXTERNAL = [{"reference": "supplier", "createdAt": "2025-01-01T00:00:02Z", "name": "Supplier"}]
BALANCES = [{"accountReference": "main", "asset": "EUR/2", "amount": 150000,
             "at": "2025-01-02T00:00:00Z"},
            {"accountReference": "reserve", "asset": "USD/2", "amount": "42",
             "at": "2025-01-02T00:00:00Z"}]
PAYMENTS = [{"reference": f"p-{i}", "createdAt": f"2025-01-01T00:00:{i:02d}Z", "type": "PAY-IN",
             "status": "SUCCEEDED", "amount": 100 * (i + 1), "asset": "EUR/2",
             "destinationAccountReference": "main"} for i in range(7)]


def _write(directory: Path, name: str, items: list[dict[str, Any]]) -> None:
    (directory / name).write_text(json.dumps(items))


async def _all(http: httpx.AsyncClient, what: str, connector_id: str) -> list[dict[str, Any]]:
    r = await http.request("GET", f"{P}/{what}", params={"pageSize": 100},
                           json={"$match": {"connector_id": connector_id}})
    assert r.status_code == 200, r.text
    return list(r.json()["cursor"]["data"])


async def _count(database: Database, sql: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


@pytest.fixture
async def http(database_url: str, database: Database, temporal_env: Any,
               temporal_address: str) -> AsyncIterator[httpx.AsyncClient]:
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=unique_modules(payments={"min_polling_period": 1}))
    async with stack.worker(), stack.http("http://t") as client:
        yield client


async def test_dummypay_ingests_its_files_and_creates_forwarded_bank_accounts(
        http: httpx.AsyncClient, database: Database, temporal_env: Any,
        tmp_path: Path) -> None:
    for name, items in (("accounts.json", ACCOUNTS), ("external_accounts.json", EXTERNAL),
                        ("balances.json", BALANCES), ("payments.json", PAYMENTS)):
        _write(tmp_path, name, items)
    r = await http.post(f"{P}/connectors/install/dummypay", json={
        "name": "files", "directory": str(tmp_path), "pollingPeriod": "2s", "pageSize": 3})
    assert r.status_code == 202, r.text
    cid = r.json()["data"]

    async def ingested() -> bool:
        accounts = {a["reference"]: a for a in await _all(http, "accounts", cid)}
        assert set(accounts) == {"main", "reserve", "supplier"}, accounts
        assert accounts["supplier"]["type"] == "EXTERNAL"
        assert accounts["main"]["defaultAsset"] == "EUR/2"
        payments = await _all(http, "payments", cid)
        assert len(payments) == 7, len(payments)
        r = await http.get(f"{P}/accounts/{accounts['main']['id']}/balances")
        [balance] = r.json()["cursor"]["data"]
        return bool(balance["balance"] == 150000)

    await eventually(ingested, "the files ingested")
    payments = {p["reference"]: p for p in await _all(http, "payments", cid)}
    assert payments["p-6"]["amount"] == 700 and payments["p-6"]["type"] == "PAY-IN"

    # The file changes: the next poll turns it into an adjustment.
    PAYMENTS[0] = {**PAYMENTS[0], "status": "REFUNDED", "updatedAt": "2025-02-01T00:00:00Z"}
    _write(tmp_path, "payments.json", PAYMENTS)

    async def adjusted() -> bool:
        found = {p["reference"]: p for p in await _all(http, "payments", cid)}
        return bool(found["p-0"]["status"] == "REFUNDED"
                    and len(found["p-0"]["adjustments"]) == 2)

    await eventually(adjusted, "the edited payment")

    # A bank account forwarded to dummypay becomes one of its external accounts.
    saved_before = await _count(database, "SELECT count(*) FROM events_outbox WHERE "
                                          "type = 'SAVED_BANK_ACCOUNT'")
    bank_id = (await http.post(f"{P}/bank-accounts", json={
        "name": "Acme", "iban": "FR7630006000011234567890189",
        "metadata": {"k": "v"}})).json()["data"]
    r = await http.post(f"{P}/bank-accounts/{bank_id}/forward", json={"connectorID": cid})
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["taskID"]

    async def succeeded() -> dict[str, Any]:
        task = (await http.get(f"{P}/tasks/{task_id}")).json()["data"]
        assert task["status"] != "FAILED", task
        return task if task["status"] == "SUCCEEDED" else {}

    task = await eventually(succeeded, "the forward's task")
    account = (await http.get(f"{P}/accounts/{task['createdObjectID']}")).json()["data"]
    assert (account["type"], account["reference"], account["name"], account["connectorID"],
            account["metadata"]) == ("EXTERNAL", bank_id, "Acme", cid, {"k": "v"})
    bank = (await http.get(f"{P}/bank-accounts/{bank_id}")).json()["data"]
    assert [x["accountID"] for x in bank["relatedAccounts"]] == [account["id"]]
    assert await _count(database, "SELECT count(*) FROM events_outbox WHERE "
                                  "type = 'SAVED_BANK_ACCOUNT'") == saved_before + 2
    # Asked again: the same task, nothing created twice.
    r = await http.post(f"{P}/bank-accounts/{bank_id}/forward", json={"connectorID": cid})
    assert r.status_code == 202 and r.json()["data"]["taskID"] == task_id
    bank = (await http.get(f"{P}/bank-accounts/{bank_id}")).json()["data"]
    assert len(bank["relatedAccounts"]) == 1

    if os.environ.get("LEDGERFLOW_RECORD_HISTORIES") == "1":
        history = await temporal_env.client.get_workflow_handle(
            forward_bank_account_workflow_id(task_id)).fetch_history()
        write_history(HISTORIES / "forward_bank_account.json", history)

    # Uninstalled: its accounts, the link from the bank account included, are gone.
    r = await http.delete(f"{P}/connectors/{cid}")
    assert r.status_code == 202, r.text
    uninstall = r.json()["data"]["taskID"]

    async def uninstalled() -> bool:
        task = (await http.get(f"{P}/tasks/{uninstall}")).json()["data"]
        return bool(task["status"] == "SUCCEEDED")

    await eventually(uninstalled, "the uninstall")
    bank = (await http.get(f"{P}/bank-accounts/{bank_id}")).json()["data"]
    assert bank["relatedAccounts"] == []


async def test_a_provider_refusal_fails_the_forward_task(temporal_env: Any) -> None:
    """The forward workflow alone, its activities faked: a provider that refuses (a
    non-retryable failure) fails the task with the provider's message, and the workflow."""
    finished: list[c.FinishTaskInput] = []

    @activity.defn(name=c.CREATE_BANK_ACCOUNT)
    async def refuse(data: c.ForwardBankAccountInput) -> c.CreatedObject:
        raise ApplicationError("provider: IBAN refused", type="VALIDATION", non_retryable=True)

    @activity.defn(name=c.FINISH_TASK)
    async def finish(data: c.FinishTaskInput) -> None:
        finished.append(data)

    queue = f"forward-refused-{os.getpid()}-{id(finished)}"
    client = temporal_env.client
    async with Worker(client, task_queue=queue, workflows=[ForwardBankAccountWorkflow],
                      activities=[refuse, finish], workflow_runner=sandbox_runner()):
        with pytest.raises(WorkflowFailureError):
            await client.execute_workflow(
                ForwardBankAccountWorkflow.run,
                ForwardBankAccountInput(bank_account_id="b", connector_id="c", task_id="t"),
                id=queue, task_queue=queue)
    [task] = finished
    assert task.status == "FAILED" and "IBAN refused" in (task.error or "")


async def test_an_uninstall_fails_the_task_of_a_running_forward(
        http: httpx.AsyncClient, database: Database, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider is still creating the bank account when the connector is uninstalled: the
    uninstall terminates the forward, whose task ends FAILED (not PROCESSING forever)."""
    started, release = asyncio.Event(), asyncio.Event()

    async def blocked(self: DummypayPlugin, bank_account: Any) -> Any:
        started.set()
        await release.wait()
        raise AssertionError("the forward was not terminated")

    monkeypatch.setattr(DummypayPlugin, "create_bank_account", blocked)
    r = await http.post(f"{P}/connectors/install/dummypay", json={
        "name": "slow", "directory": str(tmp_path), "pollingPeriod": "2s"})
    assert r.status_code == 202, r.text
    cid = r.json()["data"]
    bank_id = (await http.post(f"{P}/bank-accounts", json={
        "name": "Acme", "iban": "FR7630006000011234567890189"})).json()["data"]
    r = await http.post(f"{P}/bank-accounts/{bank_id}/forward", json={"connectorID": cid})
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["taskID"]
    try:
        await asyncio.wait_for(started.wait(), 30)
        r = await http.delete(f"{P}/connectors/{cid}")
        assert r.status_code == 202, r.text
        uninstall = r.json()["data"]["taskID"]

        async def uninstalled() -> bool:
            task = (await http.get(f"{P}/tasks/{uninstall}")).json()["data"]
            return bool(task["status"] == "SUCCEEDED")

        await eventually(uninstalled, "the uninstall")
        task = (await http.get(f"{P}/tasks/{task_id}")).json()["data"]
        assert (task["status"], task["error"]) == ("FAILED", "connector uninstalled"), task
        assert await _count(database, "SELECT count(*) FROM events_outbox WHERE type = "
                                      f"'UPDATED_TASK' AND envelope::text LIKE '%{task_id}%' "
                                      "AND envelope::text LIKE '%FAILED%'") == 1
    finally:
        release.set()
