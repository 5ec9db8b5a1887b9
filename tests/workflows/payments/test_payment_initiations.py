"""Payment initiations end to end over HTTP, with real PostgreSQL, the real Temporal dev server
and both connectors (dummypay on files, generic against the fake PSP on real HTTP): create,
approve and PROCESSED with the provider's payment linked; reject; delete; a scheduled one waits
for its time (or is deleted and never sent); retry after a provider failure; partial and full
reversal, and the reversals refused; approve racing reject. Records the histories replayed by
tests/replay (LEDGERFLOW_RECORD_HISTORIES=1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from api.temporal import TemporalUnavailableError
from domain.payments.initiations_service import PaymentInitiationsService
from storage.database import Database
from storage.payments.initiations_store import PgInitiationsStore
from storage.payments.store import PgPaymentsStore
from tests.workflows.payments.initiation_env import (
    Connected,
    Env,
    P,
    eventually,
    initiation_env,
)
from workflows import search_attributes
from workflows.payments.inputs import REVERSE_UPDATE, ReversalRef, ReverseCommand


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


async def test_reject_then_every_action_is_refused(env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    pid = await env.create(connected)
    r = await env.http.post(f"{P}/payment-initiations/{pid}/reject")
    assert r.status_code == 204, r.text
    assert (await env.get(pid))["status"] == "REJECTED"
    assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "REJECTED"]
    await env.handle(pid).result()  # nothing more can happen: the workflow closed
    for action in ("approve", "reject", "retry"):
        message = _error(await env.http.post(f"{P}/payment-initiations/{pid}/{action}"),
                         400, "VALIDATION")
        assert "REJECTED" in message
    _error(await env.http.delete(f"{P}/payment-initiations/{pid}"), 400, "VALIDATION")
    assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "REJECTED"]
    await env.record(pid, "initiation_rejected")


async def test_delete_while_waiting(env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    pid = await env.create(connected)
    assert (await env.http.delete(f"{P}/payment-initiations/{pid}")).status_code == 204
    _error(await env.http.get(f"{P}/payment-initiations/{pid}"), 404, "NOT_FOUND")
    _error(await env.http.post(f"{P}/payment-initiations/{pid}/approve"), 404, "NOT_FOUND")


async def test_scheduled_initiation_waits_for_its_time(env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    at = datetime.now(UTC) + timedelta(seconds=3)
    pid = await env.create(connected, scheduledAt=at.isoformat())
    assert (await env.get(pid))["scheduledAt"].startswith(at.strftime("%Y-%m-%dT%H:%M:%S"))
    r = await env.http.post(f"{P}/payment-initiations/{pid}/approve")
    assert r.status_code == 202, r.text
    assert (await env.get(pid))["status"] == "SCHEDULED_FOR_PROCESSING"
    assert (await env.task(r.json()["data"]["taskID"]))["status"] == "PROCESSING"
    await env.status(pid, "PROCESSED", within=30)
    assert datetime.now(UTC) >= at
    assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "SCHEDULED_FOR_PROCESSING",
                                       "PROCESSING", "PROCESSED"]
    await env.record(pid, "initiation_scheduled")


async def test_deleting_a_scheduled_initiation_cancels_its_timer(env: Env) -> None:
    # Beyond Formance (which deletes only while WAITING_FOR_VALIDATION).
    connected = await _generic(env)
    at = datetime.now(UTC) + timedelta(hours=1)
    pid = await env.create(connected, scheduledAt=at.isoformat())
    task_id = (await env.http.post(f"{P}/payment-initiations/{pid}/approve")).json()[
        "data"]["taskID"]
    assert (await env.http.delete(f"{P}/payment-initiations/{pid}")).status_code == 204
    await asyncio.wait_for(env.handle(pid).result(), 10)  # closed well before the hour
    _error(await env.http.get(f"{P}/payment-initiations/{pid}"), 404, "NOT_FOUND")
    task = await env.task(task_id)
    assert task["status"] == "FAILED" and "deleted" in task["error"]
    assert env.psp.sends.requests == {}


async def test_retry_after_a_provider_failure(env: Env) -> None:
    connected = await _generic(env)
    env.psp.sends.fail, env.psp.sends.status = 1, 400  # refused: not retried by Temporal
    pid = await env.create(connected, type="PAYOUT")
    first = (await env.http.post(f"{P}/payment-initiations/{pid}/approve")).json()[
        "data"]["taskID"]
    await env.status(pid, "FAILED")
    failed = await env.get(pid)
    assert "400" in failed["error"]
    assert (await env.task(first))["status"] == "FAILED"
    _error(await env.http.post(f"{P}/payment-initiations/{pid}/approve"), 400, "VALIDATION")
    r = await env.http.post(f"{P}/payment-initiations/{pid}/retry")
    assert r.status_code == 202, r.text
    second = r.json()["data"]["taskID"]
    assert second != first
    await env.status(pid, "PROCESSED")
    assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "PROCESSING", "FAILED",
                                       "PROCESSING", "PROCESSED"]
    task = await env.task(second)
    assert task["status"] == "SUCCEEDED"
    # Attempt 2 sent with its own key; attempt 1 was refused and made nothing.
    assert env.psp.sends.created == {f"{pid}-2": 1}
    assert env.psp.sends.requests == {f"{pid}-1": 1, f"{pid}-2": 1}
    payment = (await env.http.get(f"{P}/payments/{task['createdObjectID']}")).json()["data"]
    assert (payment["type"], payment["amount"], payment["reference"]) == (
        "PAYOUT", 1000, f"mv-{pid}-2")
    _error(await env.http.post(f"{P}/payment-initiations/{pid}/retry"), 400, "VALIDATION")
    await env.record(pid, "initiation_retried")


async def test_partial_then_full_reversal(env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    pid = await env.create(connected, no_validation=True)
    await env.status(pid, "PROCESSED")

    async def reverse(**over: Any) -> Any:
        body = {"reference": "refund-1", "description": "refund", "amount": 400,
                "asset": "EUR/2", **over}
        return await env.http.post(f"{P}/payment-initiations/{pid}/reverse", json=body)

    _error(await reverse(asset="USD/2"), 400, "VALIDATION")
    _error(await reverse(amount=1001), 400, "VALIDATION")
    _error(await reverse(amount=0), 400, "VALIDATION")
    r = await reverse()
    assert r.status_code == 202, r.text
    first = r.json()["data"]
    await env.status(pid, "REVERSED")
    assert (await env.task(first["taskID"]))["status"] == "SUCCEEDED"
    # 600 left: more is refused, 600 is the rest.
    message = _error(await reverse(reference="refund-2", amount=601), 400, "VALIDATION")
    assert "600" in message
    assert "refund-1" in _error(await reverse(amount=100), 400, "VALIDATION")  # used
    r = await reverse(reference="refund-2", amount=600)
    assert r.status_code == 202, r.text
    second = r.json()["data"]
    assert second["paymentInitiationReversalID"] != first["paymentInitiationReversalID"]
    await asyncio.wait_for(env.handle(pid).result(), 30)  # nothing left to reverse
    assert (await env.task(second["taskID"]))["status"] == "SUCCEEDED"
    r = await env.http.get(f"{P}/payment-initiations/{pid}/adjustments")
    adjustments = list(reversed(r.json()["cursor"]["data"]))
    assert [(a["status"], a["amount"]) for a in adjustments] == [
        ("WAITING_FOR_VALIDATION", None), ("PROCESSING", None), ("PROCESSED", None),
        ("REVERSE_PROCESSING", 400), ("REVERSED", 400), ("REVERSE_PROCESSING", 600),
        ("REVERSED", 600)]
    related = (await env.http.get(f"{P}/payment-initiations/{pid}/payments")).json()
    assert len(related["cursor"]["data"]) == 3  # the transfer and the two refunds
    _error(await reverse(reference="refund-3", amount=1), 400, "VALIDATION")
    await env.record(pid, "initiation_reversed")


async def test_reverse_refused_while_another_runs(env: Env) -> None:
    connected = await _generic(env)
    pid = await env.create(connected, no_validation=True)
    await env.status(pid, "PROCESSED")
    # The generic API cannot reverse: the reversal fails, the initiation stays reversible.
    first = await env.http.post(f"{P}/payment-initiations/{pid}/reverse", json={
        "reference": "refund-1", "description": "", "amount": 100, "asset": "EUR/2"})
    second = await env.http.post(f"{P}/payment-initiations/{pid}/reverse", json={
        "reference": "refund-2", "description": "", "amount": 100, "asset": "EUR/2"})
    assert first.status_code == 202, first.text
    assert "in progress" in _error(second, 400, "VALIDATION")
    await env.status(pid, "REVERSE_FAILED")
    task = await env.task(first.json()["data"]["taskID"])
    assert task["status"] == "FAILED" and "not implemented" in task["error"]


async def test_approve_racing_reject_exactly_one_wins(env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    for _ in range(3):
        pid = await env.create(connected)
        approve, reject = await asyncio.gather(
            env.http.post(f"{P}/payment-initiations/{pid}/approve"),
            env.http.post(f"{P}/payment-initiations/{pid}/reject"))
        codes = sorted([approve.status_code, reject.status_code])
        assert codes in ([202, 400], [204, 400]), (approve.text, reject.text)
        loser = approve if approve.status_code == 400 else reject
        assert loser.json()["errorCode"] == "VALIDATION"
        statuses = await env.statuses(pid)
        assert statuses.count("REJECTED") + statuses.count("PROCESSING") == 1, statuses


async def test_no_validation_sends_at_once(env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    r = await env.http.post(f"{P}/payment-initiations", params={"noValidation": "true"},
                            json=connected.body(reference="now-1"))
    assert r.status_code == 202, r.text
    data = r.json()["data"]
    await env.status(data["paymentInitiationID"], "PROCESSED")
    assert (await env.task(data["taskID"]))["status"] == "SUCCEEDED"
    # The same create again is the same initiation, sent once.
    again = await env.http.post(f"{P}/payment-initiations", params={"noValidation": "true"},
                                json=connected.body(reference="now-1"))
    assert again.status_code == 202, again.text
    assert again.json()["data"]["paymentInitiationID"] == data["paymentInitiationID"]
    assert "taskID" not in again.json()["data"]
    other = await env.http.post(f"{P}/payment-initiations",
                                json=connected.body(reference="now-1", amount=5))
    _error(other, 409, "CONFLICT")


async def test_a_pending_payment_is_polled_until_final(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with initiation_env(database_url, database, temporal_env, temporal_address,
                              min_polling_period=1) as env:
        env.psp.seed(seed=1, accounts=2, beneficiaries=0, payments=0)
        r = await env.http.post(f"{P}/connectors/install/generic", json={
            "name": "g", "apiKey": "secret", "endpoint": env.url, "pollingPeriod": "1s"})
        assert r.status_code == 202, r.text
        cid = r.json()["data"]

        async def ingested() -> list[str]:
            r = await env.http.request("GET", f"{P}/accounts",
                                       json={"$match": {"connector_id": cid}})
            return sorted(a["id"] for a in r.json()["cursor"]["data"])
        source, destination = await eventually(ingested, "the accounts")
        env.psp.sends.pending = True
        pid = await env.create(Connected(cid, source, destination), no_validation=True)
        await env.status(pid, "PROCESSING")
        await asyncio.sleep(1.5)  # polled a few times, still pending at the provider
        assert (await env.get(pid))["status"] == "PROCESSING"
        env.psp.upsert_transaction({"id": f"mv-{pid}-1", "status": "SUCCEEDED"})
        await env.status(pid, "PROCESSED", within=30)
        assert env.psp.sends.created == {f"{pid}-1": 1}
        related = (await env.http.get(f"{P}/payment-initiations/{pid}/payments")).json()
        [payment] = related["cursor"]["data"]
        assert payment["status"] == "SUCCEEDED"
        assert [a["status"] for a in payment["adjustments"]] == ["SUCCEEDED", "PENDING"]


async def test_a_connectors_sends_keep_to_its_rate(env: Env) -> None:
    connected = await env.connector("generic", {"name": "g", "apiKey": "secret",
                                                "endpoint": env.url, "payoutsPerSecond": 4})
    before = datetime.now(UTC)
    pids = await asyncio.gather(*(env.create(connected, no_validation=True)
                                  for _ in range(6)))
    for pid in pids:
        await env.status(pid, "PROCESSED")
    made = sorted(datetime.fromisoformat(tx["createdAt"].replace("Z", "+00:00"))
                  for tx in env.psp.transactions.values())
    assert len(made) == 6
    # Each send waits for its slot, the connector's slots 0.25 s apart from the first
    # (reserved after `before`): the k-th send is at least k slots after `before`, however
    # late a slow machine makes any of them.
    for k, when in enumerate(made):
        assert (when - before).total_seconds() >= 0.25 * k - 0.01, (k, made)
    # And the waits are durable timers in the workflows (five of the six had to wait).
    timers = 0
    for pid in pids:
        async for event in env.handle(pid).fetch_history_events():
            timers += event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    assert timers >= 5


async def test_uninstall_ends_and_removes_the_connectors_initiations(
        env: Env, tmp_path: Path) -> None:
    connected = await _dummypay(env, tmp_path)
    waiting = await env.create(connected)
    processed = await env.create(connected, no_validation=True)
    await env.status(processed, "PROCESSED")
    r = await env.http.delete(f"{P}/connectors/{connected.id}")
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["taskID"]

    async def uninstalled() -> bool:
        assert (await env.task(task_id))["status"] == "SUCCEEDED"
        return True
    await eventually(uninstalled, "the uninstall")
    for pid in (waiting, processed):
        _error(await env.http.get(f"{P}/payment-initiations/{pid}"), 404, "NOT_FOUND")
        desc = await env.handle(pid).describe()
        assert desc.status is WorkflowExecutionStatus.TERMINATED
    listed = (await env.http.get(f"{P}/payment-initiations")).json()["cursor"]["data"]
    assert listed == []


async def test_an_initiation_whose_start_was_lost_resumes_on_its_next_action(
        env: Env, tmp_path: Path) -> None:
    # The create stored the row, then Temporal did not answer (503): no workflow exists.
    connected = await _dummypay(env, tmp_path)
    service = PaymentInitiationsService(PgInitiationsStore(env.database),
                                        PgPaymentsStore(env.database), _NoWorkflows())
    with pytest.raises(TemporalUnavailableError):
        await service.create(connected.body(reference="lost-start"))
    pid = (await env.http.get(f"{P}/payment-initiations")).json()["cursor"]["data"][0]["id"]
    r = await env.http.post(f"{P}/payment-initiations/{pid}/approve")
    assert r.status_code == 202, r.text
    await env.status(pid, "PROCESSED")
    # Sent again, the create is the same initiation (its workflow found, not started twice).
    r = await env.http.post(f"{P}/payment-initiations",
                            json=connected.body(reference="lost-start"))
    assert r.status_code == 202 and r.json()["data"]["paymentInitiationID"] == pid
    assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "PROCESSING", "PROCESSED"]


class _NoWorkflows:
    """Temporal down: every start and update fails as the API's client reports it."""

    def __getattr__(self, name: str) -> Any:
        async def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise TemporalUnavailableError("Temporal is unreachable")
        return unavailable


async def test_an_action_on_what_the_books_already_say_waits_for_the_workflow(env: Env) -> None:
    """The send's activity writes PROCESSED (or FAILED) before the workflow takes the result
    in: a reverse sent by a client that read PROCESSED in that moment waits for the workflow
    instead of being refused "PROCESSING"; one sent while the books also say PROCESSING is
    refused at once, as Formance refuses it."""
    connected = await _generic(env)
    env.psp.sends.hold(60)  # the provider's answer is held: the workflow stays PROCESSING
    pid = await env.create(connected, no_validation=True)

    async def at_the_provider() -> bool:
        return env.psp.sends.requests.get(f"{pid}-1") == 1
    await eventually(at_the_provider, "the send to reach the provider")
    body = {"reference": "refund-1", "description": "", "amount": 100, "asset": "EUR/2"}
    refused = await env.http.post(f"{P}/payment-initiations/{pid}/reverse", json=body)
    assert "PROCESSING" in _error(refused, 400, "VALIDATION")
    # What a client that read PROCESSED in the books sends (the API names the status it read).
    command = ReverseCommand(reference="refund-1", amount=100, asset="EUR/2",
                             books_status="PROCESSED")
    waiting = asyncio.create_task(env.handle(pid).execute_update(
        REVERSE_UPDATE, command, result_type=ReversalRef))
    await asyncio.sleep(1)
    assert not waiting.done(), "accepted and waiting for the send's result"
    env.psp.sends.release()
    ref = await asyncio.wait_for(waiting, 30)
    assert ref.task_id
    # The generic API cannot reverse: the reversal itself fails, after the send was taken in.
    await env.status(pid, "REVERSE_FAILED")
    assert await env.statuses(pid) == ["WAITING_FOR_VALIDATION", "PROCESSING", "PROCESSED",
                                       "REVERSE_PROCESSING", "REVERSE_FAILED"]
