"""Sends to a payment destination with the payments worker running (payment initiations of
payments v3, dummypay on files and generic against the fake PSP): the debit first, then the
initiation (Formance's order); with `awaitFinalStatus` the stage waits for the initiation's
final status, and when the provider refuses the payment the debit is given back and the
instance fails with the reason."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from config.orchestration import OrchestrationSettings
from storage.database import Database
from tests.temporal_stack import ModuleStack
from tests.workflows.orchestration.flow_env import V2, Flows
from tests.workflows.payments.initiation_env import Env, initiation_env

P = "/api/payments/v3"


class Both:
    def __init__(self, flows: Flows, payments: Env) -> None:
        self.flows = flows
        self.payments = payments


@pytest.fixture
async def both(database_url: str, database: Database, temporal_env: Any,
               temporal_address: str) -> AsyncIterator[Both]:
    async with initiation_env(database_url, database, temporal_env, temporal_address) as env:
        modules = dataclasses.replace(env.stack.modules, orchestration=OrchestrationSettings(
            task_queue=f"orchestration-test-{uuid.uuid4().hex[:12]}",
            payment_poll_interval=0.2))
        stack = ModuleStack("orchestration", temporal_env, database, database_url,
                            temporal_address, modules)
        async with stack.worker(), stack.http("http://t") as http:
            yield Both(Flows(stack, http), env)


def pay(source: dict[str, Any], connector: str, *, wait: bool, **extra: Any) -> dict[str, Any]:
    return {"send": {"source": source, "amount": {"asset": "EUR/2", "amount": 300},
                     "destination": {"payment": {"psp": "ignored", "connectorId": connector,
                                                 "awaitFinalStatus": wait, **extra}}}}


async def _initiation_of(both: Both, instance_id: str) -> dict[str, Any]:
    r = await both.flows.http.get(f"{V2}/instances/{instance_id}/stages/0/history")
    step = next(s for s in r.json()["data"] if s["name"] == "CreateTransferInitiation")
    initiation: dict[str, Any] = step["output"]["CreateTransferInitiation"]
    return await both.payments.get(initiation["initiation_id"])


async def test_wallet_to_payment_waits_for_processed(both: Both, tmp_path: Path) -> None:
    f = both.flows
    connected = await both.payments.connector("dummypay", {"name": "d",
                                                           "directory": str(tmp_path)})
    r = await f.http.post("/api/wallets/wallets", json={
        "name": "payer", "metadata": {"formanceAccountID": connected.destination}})
    wallet = r.json()["data"]["id"]
    r = await f.http.post(f"/api/wallets/wallets/{wallet}/credit",
                          json={"amount": {"asset": "EUR/2", "amount": 1000}})
    assert r.status_code == 204
    flow = await f.flow(pay({"wallet": {"id": wallet}}, connected.id, wait=True,
                            sourceAccount=connected.source))
    instance = await f.run(flow)
    assert instance["terminated"] and "error" not in instance, instance
    assert await f.wallet_balance(wallet, "EUR/2") == 700
    initiation = await _initiation_of(both, instance["id"])
    assert initiation["status"] == "PROCESSED"
    assert initiation["destinationAccountID"] == connected.destination
    assert initiation["amount"] == 300 and initiation["asset"] == "EUR/2"
    await f.record(instance["id"], "send_wallet_to_payment")


async def test_refused_payment_gives_the_debit_back(both: Both) -> None:
    f = both.flows
    main = await f.ledger("main")
    connected = await both.payments.connector("generic", {
        "name": "g", "apiKey": "secret", "endpoint": both.payments.url})
    r = await f.http.post(f"/api/ledger/v2/{main}/transactions", json={
        "postings": [{"source": "world", "destination": "users:1", "amount": 1000,
                      "asset": "EUR/2"}]})
    assert r.status_code == 200
    r = await f.http.post(f"/api/ledger/v2/{main}/accounts/users:1/metadata",
                          json={"formanceAccountID": connected.destination})
    assert r.status_code == 204, r.text
    source = {"account": {"id": "users:1", "ledger": main, "throughAccount": "payouts"}}
    both.payments.psp.sends.fail, both.payments.psp.sends.status = 1, 400
    flow = await f.flow(pay(source, connected.id, wait=True, type="PAYOUT"))
    instance = await f.run(flow)
    assert instance["terminated"], instance
    assert "FAILED" in instance["error"] and "the debit was reversed" in instance["error"]
    assert await f.balance(main, "users:1", "EUR/2") == 1000
    assert await f.balance(main, "payouts", "EUR/2") == 0
    r = await f.http.get(f"{V2}/instances/{instance['id']}/stages/0/history")
    names = [s["name"] for s in r.json()["data"]]
    assert names[0] == "CreateTransaction" and names[1] == "CreateTransferInitiation"
    assert names[-1] == "CreateTransaction"  # the compensation
    await f.record(instance["id"], "send_payment_compensated")

    # Without awaitFinalStatus: Formance's behaviour, done once the initiation exists.
    flow = await f.flow(pay(source, connected.id, wait=False, type="PAYOUT"))
    instance = await f.run(flow)
    assert "error" not in instance, instance
    assert await f.balance(main, "users:1", "EUR/2") == 700


async def test_missing_payments_account_metadata_fails_and_gives_back(both: Both,
                                                                       tmp_path: Path) -> None:
    f = both.flows
    connected = await both.payments.connector("dummypay", {"name": "d",
                                                           "directory": str(tmp_path)})
    wallet = await f.wallet("no-metadata")
    r = await f.http.post(f"/api/wallets/wallets/{wallet}/credit",
                          json={"amount": {"asset": "EUR/2", "amount": 500}})
    assert r.status_code == 204
    flow = await f.flow(pay({"wallet": {"id": wallet}}, connected.id, wait=True))
    instance = await f.run(flow)
    assert "has no metadata 'formanceAccountID'" in instance["error"], instance
    assert await f.wallet_balance(wallet, "EUR/2") == 500


async def test_payment_source_is_booked_once_then_moved(both: Both, tmp_path: Path) -> None:
    f = both.flows
    connected = await both.payments.connector("dummypay", {"name": "d",
                                                           "directory": str(tmp_path)})
    r = await f.http.post(f"{P}/payments", json={
        "reference": "pay-in-1", "connectorID": connected.id,
        "createdAt": "2025-01-02T00:00:00Z", "type": "PAY-IN", "initialAmount": 900,
        "amount": 900, "asset": "EUR/2", "scheme": "SEPA", "adjustments": [
            {"reference": "pay-in-1", "createdAt": "2025-01-02T00:00:00Z",
             "status": "SUCCEEDED", "amount": 900, "asset": "EUR/2"}]})
    assert r.status_code == 201, r.text
    payment = r.json()["data"]["id"]
    internal = "orchestration-000-internal"
    flow = await f.flow({"send": {  # no amount: the payment's
        "source": {"payment": {"id": payment}},
        "destination": {"account": {"id": "customers:1", "ledger": internal}}}})
    first = await f.run(flow)
    assert "error" not in first, first
    holding = "payment:" + payment.replace("-", "_")
    assert await f.balance(internal, "customers:1", "EUR/2") == 900
    assert await f.balance(internal, holding, "EUR/2") == 0
    r = await f.http.get(f"{V2}/instances/{first['id']}/stages/0/history")
    assert [s["name"] for s in r.json()["data"]] == ["GetPayment", "CreateTransaction",
                                                      "CreateTransaction"]
    # A second instance on the same payment: already booked (its reference), so the holding
    # account is empty and the move is refused instead of paying the payment twice.
    second = await f.run(flow)
    assert "insufficient" in second["error"].lower(), second
    assert await f.balance(internal, "customers:1", "EUR/2") == 900
