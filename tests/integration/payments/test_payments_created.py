"""Objects created through the payments v3 API, over HTTP with real PostgreSQL (no Temporal):
accounts and payments created by hand on a connector that allows it (dummypay), refused on one
that does not (generic); bank accounts created, listed, read and given metadata; bad bodies,
bad ids and refused forwards are 400s with v3 codes, unknown objects 404s, never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domain.payments import ids
from domain.payments.models import Connector
from storage.database import Database
from storage.payments.store import PgPaymentsStore

P = "/api/payments/v3"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def _connector(database: Database, provider: str) -> str:
    cid = ids.ConnectorID(provider, str(uuid.uuid4()))
    await PgPaymentsStore(database).create_connector(Connector(
        id=str(cid), reference=cid.reference, name=provider, provider=provider, created_at=T0,
        config={}))
    return str(cid)


async def _events(database: Database, kind: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(
            "SELECT count(*) FROM events_outbox WHERE app = 'payments' AND type = :t"),
            {"t": kind})).scalar_one())


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.json()
    return str(r.json()["errorMessage"])


def _account_body(connector_id: str, **over: Any) -> dict[str, Any]:
    return {"reference": "main", "connectorID": connector_id,
            "createdAt": "2025-01-02T03:04:05Z", "accountName": "Main account",
            "type": "INTERNAL", "defaultAsset": "EUR/2", "metadata": {"team": "ops"}, **over}


def _payment_body(connector_id: str, **over: Any) -> dict[str, Any]:
    return {"reference": "pay-001", "connectorID": connector_id,
            "createdAt": "2025-01-02T00:00:00Z", "type": "PAY-IN", "initialAmount": 10000,
            "amount": 10000, "asset": "EUR/2", "scheme": "SEPA",
            "metadata": {"order": "42"},
            "adjustments": [
                {"reference": "pay-001", "createdAt": "2025-01-02T00:00:00Z",
                 "status": "PENDING", "amount": 10000, "asset": "EUR/2"},
                {"reference": "pay-001", "createdAt": "2025-01-02T01:00:00Z",
                 "status": "SUCCEEDED"}], **over}


async def test_accounts_created_by_hand(client: httpx.AsyncClient, database: Database) -> None:
    cid = await _connector(database, "dummypay")
    before = await _events(database, "SAVED_ACCOUNT")
    r = await client.post(f"{P}/accounts", json=_account_body(cid))
    assert r.status_code == 201, r.text
    account = r.json()["data"]
    assert account["id"] == ids.account_id(ids.ConnectorID.parse(cid), "main")
    assert (account["connectorID"], account["provider"], account["type"], account["name"],
            account["defaultAsset"], account["metadata"]) == (
        cid, "dummypay", "INTERNAL", "Main account", "EUR/2", {"team": "ops"})
    assert account["createdAt"] == "2025-01-02T03:04:05Z"
    assert (await client.get(f"{P}/accounts/{account['id']}")).json()["data"] == account
    # The same request again is the same account (its id is the reference): no new event.
    again = await client.post(f"{P}/accounts", json=_account_body(cid))
    assert again.status_code == 201 and again.json()["data"] == account
    assert await _events(database, "SAVED_ACCOUNT") == before + 1


async def test_payments_created_by_hand(client: httpx.AsyncClient, database: Database) -> None:
    cid = await _connector(database, "dummypay")
    before = await _events(database, "SAVED_PAYMENT")
    r = await client.post(f"{P}/payments", json=_payment_body(cid))
    assert r.status_code == 201, r.text
    payment = r.json()["data"]
    assert payment["id"] == ids.payment_id(ids.ConnectorID.parse(cid), "pay-001", "PAY-IN")
    # Its status is its latest adjustment's.
    assert (payment["status"], payment["amount"], payment["initialAmount"], payment["asset"],
            payment["scheme"], payment["type"]) == (
        "SUCCEEDED", 10000, 10000, "EUR/2", "SEPA", "PAY-IN")
    assert [a["status"] for a in payment["adjustments"]] == ["SUCCEEDED", "PENDING"]
    assert (await client.get(f"{P}/payments/{payment['id']}")).json()["data"] == payment
    listed = await client.request("GET", f"{P}/payments",
                                  json={"$match": {"connector_id": cid}})
    assert [p["id"] for p in listed.json()["cursor"]["data"]] == [payment["id"]]
    assert (await client.post(f"{P}/payments", json=_payment_body(cid))).status_code == 201
    assert await _events(database, "SAVED_PAYMENT") == before + 1
    # Amounts beyond 64 bits are kept exactly.
    big = 2**70
    r = await client.post(f"{P}/payments", json=_payment_body(
        cid, reference="pay-big", initialAmount=big, amount=big))
    assert r.status_code == 201 and r.json()["data"]["amount"] == big, r.text


async def test_payment_accounts_must_exist_on_its_connector(client: httpx.AsyncClient,
                                                            database: Database) -> None:
    """sourceAccountID and destinationAccountID, when given, name accounts of the payment's
    connector: an unknown one or another connector's is a 400 naming the field."""
    cid, other = (await _connector(database, "dummypay"), await _connector(database, "dummypay"))
    mine = (await client.post(f"{P}/accounts", json=_account_body(cid))).json()["data"]["id"]
    theirs = (await client.post(f"{P}/accounts",
                                json=_account_body(other))).json()["data"]["id"]
    missing = ids.account_id(ids.ConnectorID.parse(cid), "nowhere")
    before = await _events(database, "SAVED_PAYMENT")
    for field in ("sourceAccountID", "destinationAccountID"):
        message = _error(await client.post(f"{P}/payments", json=_payment_body(
            cid, **{field: missing})), 400, "VALIDATION")
        assert field in message and "does not exist" in message, message
        message = _error(await client.post(f"{P}/payments", json=_payment_body(
            cid, **{field: theirs})), 400, "VALIDATION")
        assert field in message and other in message, message
    assert await _events(database, "SAVED_PAYMENT") == before
    listed = await client.request("GET", f"{P}/payments", json={"$match": {"connector_id": cid}})
    assert listed.json()["cursor"]["data"] == []
    r = await client.post(f"{P}/payments", json=_payment_body(
        cid, sourceAccountID=mine, destinationAccountID=mine))
    assert r.status_code == 201, r.text
    assert (r.json()["data"]["sourceAccountID"], r.json()["data"]["destinationAccountID"]) == (
        mine, mine)


async def test_creation_refused_on_a_connector_that_does_not_allow_it(
        client: httpx.AsyncClient, database: Database) -> None:
    generic = await _connector(database, "generic")
    assert "ALLOW_FORMANCE_ACCOUNT_CREATION" in _error(
        await client.post(f"{P}/accounts", json=_account_body(generic)), 400, "VALIDATION")
    assert "ALLOW_FORMANCE_PAYMENT_CREATION" in _error(
        await client.post(f"{P}/payments", json=_payment_body(generic)), 400, "VALIDATION")
    unknown = str(ids.ConnectorID("dummypay", str(uuid.uuid4())))
    assert "not found" in _error(
        await client.post(f"{P}/accounts", json=_account_body(unknown)), 400, "VALIDATION")


@pytest.mark.parametrize(("over", "field"), [
    ({"reference": ""}, "reference"), ({"reference": 7}, "reference"),
    ({"accountName": None}, "accountName"), ({"type": "SAVINGS"}, "type"),
    ({"createdAt": "yesterday"}, "createdAt"), ({"createdAt": "2999-01-01T00:00:00Z"},
                                                "createdAt"),
    ({"defaultAsset": "euros"}, "defaultAsset"), ({"metadata": {"a": 1}}, "metadata"),
])
async def test_bad_account_bodies(client: httpx.AsyncClient, database: Database,
                                  over: dict[str, Any], field: str) -> None:
    cid = await _connector(database, "dummypay")
    assert field in _error(await client.post(f"{P}/accounts", json=_account_body(cid, **over)),
                           400, "VALIDATION")


@pytest.mark.parametrize(("over", "field"), [
    ({"amount": 1.5}, "amount"), ({"amount": "100"}, "amount"), ({"amount": -1}, "amount"),
    ({"initialAmount": True}, "initialAmount"), ({"reference": "ab"}, "reference"),
    ({"type": "REFUND"}, "type"), ({"asset": "eur"}, "asset"), ({"scheme": ""}, "scheme"),
    ({"adjustments": []}, "adjustments"), ({"adjustments": None}, "adjustments"),
    ({"adjustments": [{"reference": "x", "createdAt": "2025-01-01T00:00:00Z",
                       "status": "DONE"}]}, "adjustments[0].status"),
    ({"adjustments": [{"reference": "x", "createdAt": "2025-01-01T00:00:00Z",
                       "status": "PENDING", "amount": 0.5}]}, "adjustments[0].amount"),
    ({"adjustments": ["PENDING"]}, "adjustments[0]"),
])
async def test_bad_payment_bodies(client: httpx.AsyncClient, database: Database,
                                  over: dict[str, Any], field: str) -> None:
    cid = await _connector(database, "dummypay")
    assert field in _error(await client.post(f"{P}/payments", json=_payment_body(cid, **over)),
                           400, "VALIDATION")


async def test_bad_ids_and_bodies_in_creation(client: httpx.AsyncClient,
                                              database: Database) -> None:
    cid = await _connector(database, "dummypay")
    _error(await client.post(f"{P}/accounts", json=_account_body("not-an-id")), 400,
           "INVALID_ID")
    _error(await client.post(f"{P}/payments", json=_payment_body(
        cid, sourceAccountID="%%%")), 400, "INVALID_ID")
    for path in ("accounts", "payments", "bank-accounts"):
        _error(await client.post(f"{P}/{path}", content=b"{"), 400, "MISSING_OR_INVALID_BODY")
        _error(await client.post(f"{P}/{path}"), 400, "MISSING_OR_INVALID_BODY")
        _error(await client.post(f"{P}/{path}", json=[1]), 400, "VALIDATION")


async def test_bank_accounts(client: httpx.AsyncClient, database: Database) -> None:
    before = await _events(database, "SAVED_BANK_ACCOUNT")
    r = await client.post(f"{P}/bank-accounts", json={
        "name": "Acme payroll", "iban": "FR7630006000011234567890189", "swiftBicCode": "AGRIFRPP",
        "country": "FR", "metadata": {"owner": "acme"}})
    assert r.status_code == 201, r.text
    bank_id = r.json()["data"]
    assert str(uuid.UUID(bank_id)) == bank_id
    got = (await client.get(f"{P}/bank-accounts/{bank_id}")).json()["data"]
    assert (got["name"], got["iban"], got["country"], got["accountNumber"], got["metadata"],
            got["relatedAccounts"]) == ("Acme payroll", "FR7630006000011234567890189", "FR",
                                        None, {"owner": "acme"}, [])
    r = await client.patch(f"{P}/bank-accounts/{bank_id}/metadata",
                           json={"metadata": {"desk": "paris"}})
    assert r.status_code == 204, r.text
    got = (await client.get(f"{P}/bank-accounts/{bank_id}")).json()["data"]
    assert got["metadata"] == {"owner": "acme", "desk": "paris"}
    listed = (await client.get(f"{P}/bank-accounts", params={"pageSize": 1000})).json()
    assert bank_id in [b["id"] for b in listed["cursor"]["data"]]
    assert await _events(database, "SAVED_BANK_ACCOUNT") == before + 2


async def test_bank_account_bad_input(client: httpx.AsyncClient, database: Database) -> None:
    _error(await client.post(f"{P}/bank-accounts", json={"iban": "x"}), 400, "VALIDATION")
    _error(await client.post(f"{P}/bank-accounts", json={"name": "n", "country": 3}), 400,
           "VALIDATION")
    _error(await client.post(f"{P}/bank-accounts", json={"name": "n", "metadata": []}), 400,
           "VALIDATION")
    _error(await client.get(f"{P}/bank-accounts/nope"), 400, "INVALID_ID")
    missing = str(uuid.uuid4())
    _error(await client.get(f"{P}/bank-accounts/{missing}"), 404, "NOT_FOUND")
    _error(await client.patch(f"{P}/bank-accounts/{missing}/metadata",
                              json={"metadata": {"a": "b"}}), 404, "NOT_FOUND")
    bank_id = (await client.post(f"{P}/bank-accounts", json={"name": "n"})).json()["data"]
    _error(await client.patch(f"{P}/bank-accounts/{bank_id}/metadata", json={}), 400,
           "MISSING_OR_INVALID_BODY")
    _error(await client.patch(f"{P}/bank-accounts/{bank_id}/metadata",
                              json={"metadata": {"a": 1}}), 400, "VALIDATION")
    # Forwards refused before any task exists.
    generic = await _connector(database, "generic")
    forward = f"{P}/bank-accounts/{bank_id}/forward"
    assert "CREATE_BANK_ACCOUNT" in _error(
        await client.post(forward, json={"connectorID": generic}), 400, "VALIDATION")
    _error(await client.post(forward, json={"connectorID": "zz"}), 400, "INVALID_ID")
    _error(await client.post(forward, json={}), 400, "VALIDATION")
    _error(await client.post(forward, json=[]), 400, "MISSING_OR_INVALID_BODY")
    _error(await client.post(f"{P}/bank-accounts/{missing}/forward",
                             json={"connectorID": generic}), 404, "NOT_FOUND")
    unknown = str(ids.ConnectorID("dummypay", str(uuid.uuid4())))
    _error(await client.post(forward, json={"connectorID": unknown}), 400, "VALIDATION")
