"""v1 transfer initiations over HTTP, with real PostgreSQL, the real Temporal dev server and
both connectors (dummypay on files, generic against the fake PSP): every v1 status reached
through the v1 actions and derived from the v3 adjustments (VALIDATED, PROCESSING, PROCESSED,
REJECTED, FAILED, ASK_RETRIED, ASK_REVERSED, REVERSE_PROCESSING, PARTIALLY_REVERSED, REVERSED,
REVERSE_FAILED); a transfer initiation and its v3 payment initiation are one object (created
through either, read through the other); bad input is a 400 VALIDATION, unknown ids 404."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.payments import ids
from storage.database import Database
from tests.workflows.payments.initiation_env import Connected, Env, eventually, initiation_env

V1 = "/api/payments/transfer-initiations"
V3 = "/api/payments/v3/payment-initiations"


@pytest.fixture
async def env(database_url: str, database: Database, temporal_env: Any,
              temporal_address: str) -> AsyncIterator[Env]:
    async with initiation_env(database_url, database, temporal_env, temporal_address) as e:
        yield e


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.json()
    return str(r.json()["errorMessage"])


def _body(c: Connected, **over: Any) -> dict[str, Any]:
    return {"reference": f"ti-{uuid.uuid4().hex[:8]}", "connectorID": c.id,
            "scheduledAt": "0001-01-01T00:00:00Z", "description": "rent",
            "sourceAccountID": c.source, "destinationAccountID": c.destination,
            "type": "TRANSFER", "amount": 1000, "asset": "EUR/2", "validated": False,
            "metadata": {"order": "7"}, **over}


async def _create(env: Env, c: Connected, **over: Any) -> dict[str, Any]:
    r = await env.http.post(V1, json=_body(c, **over))
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def _get(env: Env, tid: str) -> dict[str, Any]:
    r = await env.http.get(f"{V1}/{tid}")
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def _reaches(env: Env, tid: str, status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any]:
        got = await _get(env, tid)
        assert got["status"] == status, got["status"]
        return got
    return await eventually(reached, f"{tid} {status}")


def _history(ti: dict[str, Any]) -> list[str]:
    """The v1 statuses, oldest first (v1 lists them newest first)."""
    return [a["status"] for a in reversed(ti["relatedAdjustments"])]


async def test_validated_processed_and_reversed_in_two_parts(env: Env, tmp_path: Path) -> None:
    c = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})
    ti = await _create(env, c)
    assert {k: ti[k] for k in ("status", "amount", "initialAmount", "asset", "type",
                               "provider", "connectorID", "sourceAccountID",
                               "destinationAccountID", "description", "metadata",
                               "scheduledAt", "relatedPayments")} == {
        "status": "WAITING_FOR_VALIDATION", "amount": 1000, "initialAmount": 1000,
        "asset": "EUR/2", "type": "TRANSFER", "provider": "DUMMY-PAY", "connectorID": c.id,
        "sourceAccountID": c.source, "destinationAccountID": c.destination,
        "description": "rent", "metadata": {"order": "7"},
        "scheduledAt": "0001-01-01T00:00:00Z", "relatedPayments": []}
    assert _history(ti) == ["WAITING_FOR_VALIDATION"]
    # The same object as a v3 payment initiation, under the same id.
    v3 = (await env.http.get(f"{V3}/{ti['id']}")).json()["data"]
    assert (v3["status"], v3["reference"], v3["amount"]) == (
        "WAITING_FOR_VALIDATION", ti["reference"], 1000)

    r = await env.http.post(f"{V1}/{ti['id']}/status", json={"status": "VALIDATED"})
    assert r.status_code == 204, r.text
    done = await _reaches(env, ti["id"], "PROCESSED")
    assert _history(done) == ["WAITING_FOR_VALIDATION", "VALIDATED", "PROCESSING",
                              "PROCESSED"]
    [payment] = done["relatedPayments"]
    assert payment["status"] == "SUCCEEDED"
    got = (await env.http.get(f"/api/payments/payments/{payment['paymentID']}")).json()
    assert (got["data"]["amount"], got["data"]["type"]) == (1000, "TRANSFER")
    _error(await env.http.post(f"{V1}/{ti['id']}/status", json={"status": "VALIDATED"}), 400,
           "VALIDATION")
    _error(await env.http.post(f"{V1}/{ti['id']}/retry"), 400, "VALIDATION")

    reverse = {"reference": "refund-1", "description": "half", "amount": 400,
               "asset": "EUR/2", "metadata": {"why": "returned"}}
    _error(await env.http.post(f"{V1}/{ti['id']}/reverse", json={**reverse, "amount": 1001}),
           400, "VALIDATION")
    _error(await env.http.post(f"{V1}/{ti['id']}/reverse", json={**reverse, "asset": "USD/2"}),
           400, "VALIDATION")
    r = await env.http.post(f"{V1}/{ti['id']}/reverse", json=reverse)
    assert r.status_code == 204, r.text
    partly = await _reaches(env, ti["id"], "PARTIALLY_REVERSED")
    assert _history(partly)[4:] == ["ASK_REVERSED", "REVERSE_PROCESSING",
                                    "PARTIALLY_REVERSED"]
    # v3 has no partial status: there, it is REVERSED.
    assert (await env.http.get(f"{V3}/{ti['id']}")).json()["data"]["status"] == "REVERSED"
    r = await env.http.post(f"{V1}/{ti['id']}/reverse",
                            json={**reverse, "reference": "refund-2", "amount": 600})
    assert r.status_code == 204, r.text
    whole = await _reaches(env, ti["id"], "REVERSED")
    assert _history(whole)[4:] == ["ASK_REVERSED", "REVERSE_PROCESSING", "PARTIALLY_REVERSED",
                                   "ASK_REVERSED", "REVERSE_PROCESSING", "REVERSED"]
    assert len({a["adjustmentID"] for a in whole["relatedAdjustments"]}) == 10

    # The list derives the same statuses (a reversed one read with its adjustments).
    partial = await _create(env, c)
    await env.http.post(f"{V1}/{partial['id']}/status", json={"status": "VALIDATED"})
    await _reaches(env, partial["id"], "PROCESSED")
    await env.http.post(f"{V1}/{partial['id']}/reverse", json=reverse)
    await _reaches(env, partial["id"], "PARTIALLY_REVERSED")
    listed = await env.http.get(V1, params={
        "query": json.dumps({"$match": {"connector_id": c.id}}), "pageSize": 1})
    page = listed.json()["cursor"]
    rest = (await env.http.get(V1, params={"cursor": page["next"]})).json()["cursor"]
    assert {t["id"]: t["status"] for t in page["data"] + rest["data"]} == {
        ti["id"]: "REVERSED", partial["id"]: "PARTIALLY_REVERSED"}


async def test_rejected_deleted_and_scheduled(env: Env, tmp_path: Path) -> None:
    c = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})
    rejected = await _create(env, c)
    _error(await env.http.post(f"{V1}/{rejected['id']}/status", json={"status": "PROCESSED"}),
           400, "VALIDATION")
    _error(await env.http.post(f"{V1}/{rejected['id']}/status", json={}), 400, "VALIDATION")
    r = await env.http.post(f"{V1}/{rejected['id']}/status", json={"status": "REJECTED"})
    assert r.status_code == 204, r.text
    got = await _get(env, rejected["id"])
    assert (got["status"], _history(got)) == ("REJECTED",
                                              ["WAITING_FOR_VALIDATION", "REJECTED"])
    for action, body in (("status", {"status": "VALIDATED"}), ("retry", None),
                         ("reverse", {"reference": "r-1", "amount": 1, "asset": "EUR/2"})):
        _error(await env.http.post(f"{V1}/{rejected['id']}/{action}", json=body), 400,
               "VALIDATION")
    _error(await env.http.delete(f"{V1}/{rejected['id']}"), 400, "VALIDATION")

    deleted = await _create(env, c)
    r = await env.http.delete(f"{V1}/{deleted['id']}")
    assert r.status_code == 204, r.text
    _error(await env.http.get(f"{V1}/{deleted['id']}"), 404, "NOT_FOUND")

    # Validated at creation with a date ahead: VALIDATED until then (v3:
    # SCHEDULED_FOR_PROCESSING); deleting it cancels the send.
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = await _create(env, c, scheduledAt=later, validated=True)
    assert (scheduled["status"], _history(scheduled)) == (
        "VALIDATED", ["WAITING_FOR_VALIDATION", "VALIDATED"])
    assert (await env.http.get(f"{V3}/{scheduled['id']}")).json()["data"]["status"] == \
        "SCHEDULED_FOR_PROCESSING"
    assert scheduled["scheduledAt"] != "0001-01-01T00:00:00Z"
    # Lists filter on the v1 status as the v3 one it is stored under.
    for status, expected in (("VALIDATED", [scheduled["id"]]), ("REJECTED", [rejected["id"]]),
                             ("PROCESSED", [])):
        r = await env.http.get(V1, params={"query": json.dumps({"$match": {"status": status}})})
        assert [t["id"] for t in r.json()["cursor"]["data"]] == expected, status
    for status in ("ASK_RETRIED", "DONE"):
        _error(await env.http.get(V1, params={
            "query": json.dumps({"$match": {"status": status}})}), 400, "VALIDATION")
    r = await env.http.delete(f"{V1}/{scheduled['id']}")
    assert r.status_code == 204, r.text
    _error(await env.http.get(f"{V1}/{scheduled['id']}"), 404, "NOT_FOUND")


async def test_failed_retried_and_reverse_failed(env: Env) -> None:
    c = await env.connector("generic", {"name": "g", "apiKey": "secret", "endpoint": env.url})
    env.psp.sends.fail, env.psp.sends.status = 1, 400  # the provider refuses the first send
    ti = await _create(env, c, validated=True)
    failed = await _reaches(env, ti["id"], "FAILED")
    assert failed["error"] and _history(failed) == [
        "WAITING_FOR_VALIDATION", "VALIDATED", "PROCESSING", "FAILED"]
    r = await env.http.post(f"{V1}/{ti['id']}/retry")
    assert r.status_code == 204, r.text
    done = await _reaches(env, ti["id"], "PROCESSED")
    assert _history(done) == ["WAITING_FOR_VALIDATION", "VALIDATED", "PROCESSING", "FAILED",
                              "ASK_RETRIED", "PROCESSING", "PROCESSED"]
    assert done["error"] is None
    # The generic API cannot reverse: the reversal fails, with the provider's reason.
    r = await env.http.post(f"{V1}/{ti['id']}/reverse", json={
        "reference": "refund-1", "description": "", "amount": 1000, "asset": "EUR/2",
        "metadata": {}})
    assert r.status_code == 204, r.text
    reverse_failed = await _reaches(env, ti["id"], "REVERSE_FAILED")
    assert _history(reverse_failed)[-3:] == ["ASK_REVERSED", "REVERSE_PROCESSING",
                                             "REVERSE_FAILED"]
    assert reverse_failed["error"]


async def test_v1_and_v3_agree(env: Env, tmp_path: Path) -> None:
    """Created through v3, read through v1 (and the reverse above): one object."""
    c = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})
    pid = await env.create(c, reference="from-v3", no_validation=True)
    await env.status(pid, "PROCESSED")
    v3 = await env.get(pid)
    v1 = await _reaches(env, pid, "PROCESSED")
    for key in ("id", "reference", "connectorID", "amount", "asset", "type", "description",
                "sourceAccountID", "destinationAccountID", "metadata", "createdAt",
                "scheduledAt"):
        assert v1[key] == v3[key], key
    v3_payments = (await env.http.get(f"{V3}/{pid}/payments")).json()["cursor"]["data"]
    assert [p["paymentID"] for p in v1["relatedPayments"]] == [p["id"] for p in v3_payments]
    listed = (await env.http.get(V1)).json()["cursor"]["data"]
    assert [(t["id"], t["status"]) for t in listed] == [(pid, "PROCESSED")]


async def test_bad_input(env: Env, tmp_path: Path) -> None:
    c = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})
    for over in ({"amount": 0}, {"amount": "10"}, {"asset": "EUR"}, {"type": "PAY-IN"},
                 {"reference": "x"}, {"validated": "yes"}, {"destinationAccountID": None},
                 {"connectorID": "zz"}, {"sourceAccountID": "%%"}, {"metadata": {"a": 1}},
                 {"scheduledAt": "2001-01-01T00:00:00Z"}):
        _error(await env.http.post(V1, json=_body(c, **over)), 400, "VALIDATION")
    _error(await env.http.post(V1, content=b"{"), 400, "VALIDATION")
    _error(await env.http.post(V1, json=_body(c, connectorID=None)), 400, "VALIDATION")
    _error(await env.http.post(V1, json=_body(c, connectorID=None, provider="GENERIC")), 404,
           "NOT_FOUND")
    assert (await env.http.get(V1)).json()["cursor"]["data"] == []
    # Named by provider alone: the provider's single connector.
    by_provider = await _create(env, c, connectorID=None, provider="DUMMY-PAY")
    assert by_provider["connectorID"] == c.id
    _error(await env.http.get(f"{V1}/not-an-id"), 400, "VALIDATION")
    unknown = ids.initiation_id(ids.ConnectorID.parse(c.id), "nowhere")
    for method, path in (("GET", ""), ("DELETE", ""), ("POST", "/retry")):
        _error(await env.http.request(method, f"{V1}/{unknown}{path}"), 404, "NOT_FOUND")
    _error(await env.http.post(f"{V1}/{by_provider['id']}/reverse", json=[]), 400,
           "VALIDATION")


async def test_connector_transfer(env: Env, tmp_path: Path) -> None:
    """`POST /connectors/{connector}/transfers`: sent at once on the provider's connector,
    between accounts named by reference at the provider or by id."""
    c = await env.connector("dummypay", {"name": "d", "directory": str(tmp_path)})
    r = await env.http.post("/api/payments/connectors/DUMMY-PAY/transfers", json={
        "amount": 250, "asset": "EUR/2", "source": "acc-0", "destination": "acc-1"})
    assert r.status_code == 200, r.text
    done = await _reaches(env, r.json()["id"], "PROCESSED")
    assert (done["sourceAccountID"], done["destinationAccountID"], done["amount"],
            done["type"]) == (c.source, c.destination, 250, "TRANSFER")
    r = await env.http.post("/api/payments/connectors/DUMMY-PAY/transfers", json={
        "amount": 5, "asset": "EUR/2", "destination": c.destination})
    assert r.status_code == 200, r.text
    assert (await _get(env, r.json()["id"]))["sourceAccountID"] == ""
    bodies: list[object] = [
        {"amount": 5, "asset": "EUR/2", "destination": "nowhere"},
        {"amount": 5, "asset": "EUR/2"},
        {"amount": -5, "asset": "EUR/2", "destination": "acc-1"}, []]
    for body in bodies:
        _error(await env.http.post("/api/payments/connectors/DUMMY-PAY/transfers", json=body),
               400, "VALIDATION")
    _error(await env.http.post("/api/payments/connectors/GENERIC/transfers", json={
        "amount": 5, "asset": "EUR/2", "destination": "acc-1"}), 404, "NOT_FOUND")
    await env.connector("dummypay", {"name": "d2", "directory": str(tmp_path)})
    _error(await env.http.post("/api/payments/connectors/DUMMY-PAY/transfers", json={
        "amount": 5, "asset": "EUR/2", "destination": "acc-1"}), 400, "VALIDATION")
