"""v1 connectors end to end over HTTP, with real PostgreSQL and the real Temporal dev server
(a payments worker on its own queue): dummypay installed through v1 ingests its files, its
config read and updated, its fetches listed as v1 tasks, reset and uninstalled; the paths that
name only a provider act on its single connector and answer 400 when there are two; a bank
account forwarded through v1 is answered once the connector holds it, or with a 503 when no
worker finished it in time (the forward goes on)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.payments import ids
from domain.payments.models import Connector
from storage.database import Database
from storage.payments.store import PgPaymentsStore
from tests.temporal_stack import ModuleStack, unique_modules
from tests.workflows.payments.initiation_env import eventually

V1 = "/api/payments"
V3 = "/api/payments/v3"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
FETCHES = {"FETCH_ACCOUNTS", "FETCH_EXTERNAL_ACCOUNTS", "FETCH_BALANCES", "FETCH_PAYMENTS",
           "FETCH_ORDERS", "FETCH_CONVERSIONS"}


@pytest.fixture
async def http(database_url: str, database: Database, temporal_env: Any,
               temporal_address: str) -> AsyncIterator[httpx.AsyncClient]:
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=unique_modules(payments={"min_polling_period": 1}))
    async with stack.worker(), stack.http("http://t") as client:
        yield client


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.json()
    return str(r.json()["errorMessage"])


def _files(directory: Path) -> None:
    (directory / "accounts.json").write_text(json.dumps(
        [{"reference": "main", "createdAt": "2025-01-01T00:00:00Z", "name": "Main",
          "defaultAsset": "EUR/2"}]))
    (directory / "payments.json").write_text(json.dumps(
        [{"reference": "p-1", "createdAt": "2025-01-01T00:00:00Z", "type": "PAY-IN",
          "status": "SUCCEEDED", "amount": 700, "asset": "EUR/2",
          "destinationAccountReference": "main"}]))


async def _install(http: httpx.AsyncClient, directory: Path, name: str) -> str:
    # As the SDK sends it: the v1 provider name in the path, a `provider` and the v1
    # `filePollingPeriod` in the body (kept, not read: v3 polls every pollingPeriod).
    r = await http.post(f"{V1}/connectors/DUMMY-PAY", json={
        "provider": "Dummypay", "name": name, "directory": str(directory),
        "filePollingPeriod": "30s", "pollingPeriod": "2s"})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["connectorID"])


async def _listed(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await http.get(f"{V1}/connectors")
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def test_connector_lifecycle_through_v1(http: httpx.AsyncClient, tmp_path: Path) -> None:
    configs = (await http.get(f"{V1}/connectors/configs")).json()["data"]
    assert configs["DUMMY-PAY"]["directory"] == {"dataType": "string", "required": True}
    assert configs["GENERIC"]["endpoint"]["required"] is True
    _error(await http.get(f"{V1}/connectors/DUMMY-PAY/config"), 404, "NOT_FOUND")

    _files(tmp_path)
    cid = await _install(http, tmp_path, "files")
    assert await _listed(http) == [{"provider": "DUMMY-PAY", "connectorID": cid,
                                    "name": "files", "enabled": True}]
    config = (await http.get(f"{V1}/connectors/DUMMY-PAY/config")).json()["data"]
    assert (config["name"], config["directory"], config["provider"]) == (
        "files", str(tmp_path), "Dummypay")
    assert (await http.get(f"{V1}/connectors/DUMMY-PAY/{cid}/config")).json()["data"] == config
    assert (await http.get(f"{V3}/connectors/{cid}/config")).json()["data"] == config

    async def ingested() -> bool:
        payments = (await http.get(f"{V1}/payments")).json()["cursor"]["data"]
        return [(p["reference"], p["amount"], p["provider"]) for p in payments] == [
            ("p-1", 700, "DUMMY-PAY")]

    await eventually(ingested, "the payment ingested")

    # The connector's periodic fetches are its v1 tasks.
    async def all_tasks() -> list[dict[str, Any]]:
        tasks = (await http.get(f"{V1}/connectors/DUMMY-PAY/tasks")).json()["cursor"]["data"]
        return list(tasks) if len(tasks) == len(FETCHES) else []

    tasks = await eventually(all_tasks, "the connector's schedules")
    assert {t["descriptor"]["name"] for t in tasks} == FETCHES
    assert {(t["status"], t["connectorID"]) for t in tasks} == {("ACTIVE", cid)}
    page = (await http.get(f"{V1}/connectors/DUMMY-PAY/{cid}/tasks",
                           params={"pageSize": 3})).json()["cursor"]
    rest = (await http.get(f"{V1}/connectors/DUMMY-PAY/{cid}/tasks",
                           params={"cursor": page["next"]})).json()["cursor"]
    assert page["hasMore"] and len(page["data"]) + len(rest["data"]) == len(FETCHES)
    one = tasks[0]
    assert (await http.get(f"{V1}/connectors/DUMMY-PAY/tasks/{one['id']}")).json()[
        "data"] == one
    assert (await http.get(f"{V1}/connectors/DUMMY-PAY/{cid}/tasks/{one['id']}")).json()[
        "data"] == one
    _error(await http.get(f"{V1}/connectors/DUMMY-PAY/tasks/nope"), 404, "NOT_FOUND")

    r = await http.post(f"{V1}/connectors/DUMMY-PAY/{cid}/config", json={
        "name": "ignored", "directory": str(tmp_path), "pollingPeriod": "3s"})
    assert r.status_code == 204, r.text
    config = (await http.get(f"{V1}/connectors/DUMMY-PAY/config")).json()["data"]
    assert (config["pollingPeriod"], config["name"]) == ("3s", "files")
    _error(await http.post(f"{V1}/connectors/DUMMY-PAY/{cid}/config", json={"name": "x"}),
           400, "VALIDATION")

    # A second dummypay: the provider-only paths no longer know which one is meant.
    other = await _install(http, tmp_path, "files-2")
    for method, path in (("GET", "config"), ("GET", "tasks"), ("POST", "reset")):
        message = _error(await http.request(method, f"{V1}/connectors/DUMMY-PAY/{path}"),
                         400, "VALIDATION")
        assert cid in message and other in message, message
    message = _error(await http.delete(f"{V1}/connectors/DUMMY-PAY"), 400, "VALIDATION")
    assert "2 DUMMY-PAY connectors" in message
    # A path's provider must be the connector's; unknown providers and ids are refused.
    assert "not GENERIC" in _error(await http.get(f"{V1}/connectors/GENERIC/{cid}/config"),
                                   400, "VALIDATION")
    _error(await http.get(f"{V1}/connectors/NOPE/config"), 400, "VALIDATION")
    _error(await http.get(f"{V1}/connectors/DUMMY-PAY/not-an-id/config"), 400, "VALIDATION")
    _error(await http.post(f"{V1}/connectors/NOPE", json={"name": "x"}), 400, "VALIDATION")
    _error(await http.post(f"{V1}/connectors/DUMMY-PAY", json={"name": "x"}), 400,
           "VALIDATION")
    _error(await http.post(f"{V1}/connectors/DUMMY-PAY", content=b"{"), 400, "VALIDATION")

    r = await http.delete(f"{V1}/connectors/DUMMY-PAY/{other}")
    assert r.status_code == 204, r.text

    async def only_the_first() -> bool:
        return [c["connectorID"] for c in await _listed(http)] == [cid]

    await eventually(only_the_first, "the second connector uninstalled")

    # Reset: the connector is replaced by a copy under a new id, found by the same paths.
    r = await http.post(f"{V1}/connectors/DUMMY-PAY/reset")
    assert r.status_code == 204, r.text

    async def replaced() -> str | None:
        listed = await _listed(http)
        ids = [c["connectorID"] for c in listed]
        return ids[0] if len(ids) == 1 and ids[0] != cid else None

    new_id = await eventually(replaced, "the reset connector")
    assert (await http.get(f"{V1}/connectors/DUMMY-PAY/config")).json()["data"][
        "name"] == "files"
    await eventually(ingested, "the payment ingested again")

    r = await http.delete(f"{V1}/connectors/DUMMY-PAY")
    assert r.status_code == 204, r.text

    async def none_left() -> bool:
        return await _listed(http) == []

    await eventually(none_left, f"{new_id} uninstalled")
    assert (await http.get(f"{V1}/payments")).json()["cursor"]["data"] == []


async def test_forward_answers_with_the_connectors_account(http: httpx.AsyncClient,
                                                           tmp_path: Path) -> None:
    cid = await _install(http, tmp_path, "files")
    r = await http.post(f"{V1}/bank-accounts", json={
        "name": "Acme", "country": "FR", "iban": "FR7630006000011234567890189",
        "connectorID": cid})
    assert r.status_code == 200, r.text
    bank = r.json()["data"]
    [related] = bank["relatedAccounts"]
    assert (bank["connectorID"], bank["provider"], bank["accountID"]) == (
        cid, "DUMMY-PAY", related["accountID"])
    account = (await http.get(f"{V1}/accounts/{related['accountID']}")).json()["data"]
    assert (account["type"], account["connectorID"]) == ("EXTERNAL", cid)

    later = (await http.post(f"{V1}/bank-accounts", json={"name": "Later",
                                                          "country": "DE"})).json()["data"]
    assert later["relatedAccounts"] == []
    r = await http.post(f"{V1}/bank-accounts/{later['id']}/forward", json={"connectorID": cid})
    assert r.status_code == 200, r.text
    assert [a["connectorID"] for a in r.json()["data"]["relatedAccounts"]] == [cid]
    v3 = (await http.get(f"{V3}/bank-accounts/{later['id']}")).json()["data"]
    assert [a["accountID"] for a in v3["relatedAccounts"]] == \
        [r.json()["data"]["accountID"]]


async def test_forward_not_done_in_time_is_a_503_and_goes_on(
        database_url: str, database: Database, temporal_env: Any, temporal_address: str,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker polls the queue: the forward is started but cannot finish; v1 answers 503
    (INTERNAL, retry later) once its wait is over, and the task stays PROCESSING for the worker
    to come."""
    from api.payments.v1 import bank_accounts

    monkeypatch.setattr(bank_accounts, "FORWARD_WAIT_S", 0.5)
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=unique_modules(payments={"min_polling_period": 1}))
    store = PgPaymentsStore(database)
    cid = ids.ConnectorID("dummypay", str(uuid.uuid4()))
    await store.create_connector(Connector(id=str(cid), reference=cid.reference, name="d",
                                           provider="dummypay", created_at=T0,
                                           config={"name": "d", "directory": str(tmp_path)}))
    async with stack.http("http://t") as http:
        bank = (await http.post(f"{V1}/bank-accounts", json={
            "name": "Acme", "country": "FR"})).json()["data"]
        message = _error(await http.post(f"{V1}/bank-accounts/{bank['id']}/forward",
                                         json={"connectorID": str(cid)}), 503, "INTERNAL")
        assert "goes on" in message
        assert (await http.get(f"{V1}/bank-accounts/{bank['id']}")).json()["data"][
            "relatedAccounts"] == []
        task_id = ids.task_id(cid, f"create-bank-account-{bank['id']}")
        task = (await http.get(f"{V3}/tasks/{task_id}")).json()["data"]
        assert task["status"] == "PROCESSING"
