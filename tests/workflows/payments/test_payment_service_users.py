"""Payment service users and open banking over HTTP, with real PostgreSQL and the real Temporal
dev server: a PSU is created with its bank accounts, read, listed; forwarded to dummypay (not
to generic, which has no open banking); a link flow waits for the user, whose return
completes it with a connection (or, with dummypay's configured linkFlowError, exits with it);
a connection is renewed by update-link; a PSU's bank account is forwarded to a connector; and
a connection, a PSU's registration on a connector and the PSU itself are deleted through
tasks. Bad input is a 400 (or 404 for an unknown PSU), never a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from storage.database import Database
from tests.workflows.payments.initiation_env import Env, P, eventually, initiation_env
from workflows.payments.inputs import link_workflow_id, open_banking_delete_workflow_id

REDIRECT = "https://app.example.com/linked"


@pytest.fixture
async def env(database_url: str, database: Database, temporal_env: Any,
              temporal_address: str) -> AsyncIterator[Env]:
    async with initiation_env(database_url, database, temporal_env, temporal_address) as e:
        yield e


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.json()
    return str(r.json()["errorMessage"])


async def _bank(env: Env, name: str) -> str:
    r = await env.http.post(f"{P}/bank-accounts", json={
        "name": name, "iban": "DE89370400440532013000", "country": "DE"})
    assert r.status_code == 201, r.text
    return str(r.json()["data"])


async def _task_done(env: Env, task_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any]:
        task = await env.task(task_id)
        assert task["status"] == "SUCCEEDED", task
        return task
    return await eventually(done, f"task {task_id}")


async def _follow(env: Env, link: str) -> dict[str, list[str]]:
    """The user follows the link and comes back: where the client is sent on to."""
    url = urlparse(link)
    r = await env.http.get(url.path, params=parse_qs(url.query))
    assert r.status_code == 303, r.text
    location = urlparse(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


async def test_psu_lifecycle_and_dummypay_link_flow(env: Env, tmp_path: Path) -> None:
    banks = [await _bank(env, "main"), await _bank(env, "savings")]
    r = await env.http.post(f"{P}/payment-service-users", json={
        "name": "Ada", "contactDetails": {"email": "ada@example.com", "phoneNumber": "+33"},
        "address": {"city": "Paris", "country": "FR"}, "bankAccountIDs": banks[:1],
        "metadata": {"tier": "gold"}})
    assert r.status_code == 201, r.text
    psu_id = r.json()["data"]
    got = (await env.http.get(f"{P}/payment-service-users/{psu_id}")).json()["data"]
    assert (got["name"], got["contactDetails"], got["address"], got["bankAccountIDs"],
            got["metadata"]) == ("Ada", {"email": "ada@example.com", "phoneNumber": "+33"},
                                 {"city": "Paris", "country": "FR"}, banks[:1],
                                 {"tier": "gold"})
    r = await env.http.post(f"{P}/payment-service-users/{psu_id}/bank-accounts/{banks[1]}")
    assert r.status_code == 204, r.text
    listed = (await env.http.get(f"{P}/payment-service-users")).json()["cursor"]["data"]
    assert [(p["id"], p["bankAccountIDs"]) for p in listed] == [(psu_id, banks)]

    dummypay = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})
    generic = await env.connector("generic", {"name": "g", "apiKey": "k",
                                              "endpoint": env.url})
    base = f"{P}/payment-service-users/{psu_id}/connectors"
    # Not forwarded yet: no link.
    _error(await env.http.post(f"{base}/{dummypay.id}/create-link",
                               json={"clientRedirectURL": REDIRECT}), 400, "VALIDATION")
    assert (await env.http.post(f"{base}/{dummypay.id}/forward")).status_code == 204
    assert "open banking" in _error(await env.http.post(f"{base}/{generic.id}/forward"),
                                    400, "VALIDATION")

    r = await env.http.post(f"{base}/{dummypay.id}/create-link",
                            json={"clientRedirectURL": REDIRECT, "applicationName": "app"})
    assert r.status_code == 201, r.text
    attempt_id, link = r.json()["attemptID"], r.json()["link"]
    attempt = (await env.http.get(f"{base}/{dummypay.id}/link-attempts/{attempt_id}")).json()
    assert (attempt["status"], attempt["psuID"], attempt["clientRedirectURL"]) == (
        "pending", psu_id, REDIRECT)
    back = await _follow(env, link)
    assert back["attemptID"] == [attempt_id] and back["status"] == ["completed"]
    attempts = (await env.http.get(f"{base}/{dummypay.id}/link-attempts")).json()
    assert [a["status"] for a in attempts["cursor"]["data"]] == ["completed"]
    [connection] = (await env.http.get(f"{base}/{dummypay.id}/connections")).json()[
        "cursor"]["data"]
    assert connection["status"] == "ACTIVE" and connection["connectorID"] == dummypay.id
    everywhere = (await env.http.get(f"{P}/payment-service-users/{psu_id}/connections")).json()
    assert everywhere["cursor"]["data"] == [connection]
    # Following the link again changes nothing: the attempt is over.
    assert (await _follow(env, link))["status"] == ["completed"]
    await env.record_workflow(link_workflow_id(attempt_id), "open_banking_link_completed")

    # The connection renewed through update-link.
    cpath = f"{base}/{dummypay.id}/connections/{connection['connectionID']}"
    r = await env.http.post(f"{cpath}/update-link", json={"clientRedirectURL": REDIRECT})
    assert r.status_code == 201, r.text
    assert (await _follow(env, r.json()["link"]))["status"] == ["completed"]
    assert await env.events("OPEN_BANKING_USER_LINK_STATUS") == 2

    # A PSU's bank account forwarded to a connector: as any bank account, through a task.
    r = await env.http.post(f"{P}/payment-service-users/{psu_id}/bank-accounts/{banks[0]}/"
                            "forward", json={"connectorID": dummypay.id})
    assert r.status_code == 202, r.text
    await _task_done(env, r.json()["data"]["taskID"])
    stranger = await _bank(env, "not hers")
    _error(await env.http.post(f"{P}/payment-service-users/{psu_id}/bank-accounts/"
                               f"{stranger}/forward", json={"connectorID": dummypay.id}),
           400, "VALIDATION")

    # Deletions are tasks.
    r = await env.http.delete(cpath)
    assert r.status_code == 202, r.text
    await _task_done(env, r.json()["data"]["taskID"])
    assert (await env.http.get(f"{base}/{dummypay.id}/connections")).json()[
        "cursor"]["data"] == []
    r = await env.http.delete(f"{base}/{dummypay.id}")
    assert r.status_code == 202, r.text
    await _task_done(env, r.json()["data"]["taskID"])
    _error(await env.http.post(f"{base}/{dummypay.id}/create-link",
                               json={"clientRedirectURL": REDIRECT}), 400, "VALIDATION")
    r = await env.http.delete(f"{P}/payment-service-users/{psu_id}")
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["taskID"]
    await _task_done(env, task_id)
    await env.record_workflow(open_banking_delete_workflow_id(task_id),
                              "open_banking_psu_deleted")
    _error(await env.http.get(f"{P}/payment-service-users/{psu_id}"), 404, "NOT_FOUND")
    assert await env.events("OPEN_BANKING_USER_DISCONNECTED") == 2
    assert await env.events("OPEN_BANKING_USER_CONNECTION_DISCONNECTED") == 1


async def test_dummypay_link_flow_error_exits_the_attempt(env: Env, tmp_path: Path) -> None:
    failing = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path),
                                               "linkFlowError": "bank refused the consent"})
    psu_id = (await env.http.post(f"{P}/payment-service-users",
                                  json={"name": "Bob"})).json()["data"]
    base = f"{P}/payment-service-users/{psu_id}/connectors/{failing.id}"
    assert (await env.http.post(f"{base}/forward")).status_code == 204
    r = await env.http.post(f"{base}/create-link", json={"clientRedirectURL": REDIRECT})
    assert r.status_code == 201, r.text
    back = await _follow(env, r.json()["link"])
    assert back["status"] == ["exited"] and back["error"] == ["bank refused the consent"]
    attempt = (await env.http.get(f"{base}/link-attempts/{r.json()['attemptID']}")).json()
    assert (attempt["status"], attempt["error"]) == ("exited", "bank refused the consent")
    assert (await env.http.get(f"{base}/connections")).json()["cursor"]["data"] == []


async def test_psu_bad_input(env: Env, tmp_path: Path) -> None:
    for body, names in (({}, "name"), ({"name": ""}, "name"),
                        ({"name": "x", "contactDetails": {"fax": "1"}}, "fax"),
                        ({"name": "x", "address": "Paris"}, "address"),
                        ({"name": "x", "bankAccountIDs": [str(uuid.uuid4())]},
                         "bankAccountIDs"),
                        ({"name": "x", "metadata": {"k": 1}}, "metadata")):
        r = await env.http.post(f"{P}/payment-service-users", json=body)
        assert names in _error(r, 400, "VALIDATION")
    assert (await env.http.get(f"{P}/payment-service-users")).json()["cursor"]["data"] == []
    _error(await env.http.get(f"{P}/payment-service-users/nope"), 400, "INVALID_ID")
    _error(await env.http.get(f"{P}/payment-service-users/{uuid.uuid4()}"), 404, "NOT_FOUND")
    psu_id = (await env.http.post(f"{P}/payment-service-users",
                                  json={"name": "Eve"})).json()["data"]
    dummypay = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})
    base = f"{P}/payment-service-users/{psu_id}/connectors/{dummypay.id}"
    assert (await env.http.post(f"{base}/forward")).status_code == 204
    bodies: list[dict[str, Any]] = [{}, {"clientRedirectURL": "not a url"},
                                     {"clientRedirectURL": 5}]
    for body in bodies:
        _error(await env.http.post(f"{base}/create-link", json=body), 400, "VALIDATION")
    _error(await env.http.post(f"{base}/connections/nope/update-link",
                               json={"clientRedirectURL": REDIRECT}), 404, "NOT_FOUND")
    _error(await env.http.get(f"{base}/link-attempts/{uuid.uuid4()}"), 404, "NOT_FOUND")
    _error(await env.http.post(f"{P}/payment-service-users/{psu_id}/bank-accounts/"
                               f"{uuid.uuid4()}"), 404, "NOT_FOUND")
    unknown = f"{P}/payment-service-users/{psu_id}/connectors/not-a-connector/forward"
    _error(await env.http.post(unknown), 400, "INVALID_ID")
