"""The payments v1 API over HTTP with real PostgreSQL (no Temporal): accounts, balances,
payments, pools and bank accounts created and read through v1, in the v1 shapes and v1 error
codes (INTERNAL, VALIDATION, NOT_FOUND only), each one the same object the v3 API shows."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domain.pagination import encode_token
from domain.payments import ids
from domain.payments.models import Balance, Connector
from storage.database import Database
from storage.payments.store import PgPaymentsStore

V1 = "/api/payments"
V3 = "/api/payments/v3"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def _connector(database: Database, provider: str = "dummypay") -> str:
    cid = ids.ConnectorID(provider, str(uuid.uuid4()))
    await PgPaymentsStore(database).create_connector(Connector(
        id=str(cid), reference=cid.reference, name=f"{provider}-1", provider=provider,
        created_at=T0, config={"name": f"{provider}-1", "directory": "/tmp"}))
    return str(cid)


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.json()
    return str(r.json()["errorMessage"])


def _account(cid: str, reference: str = "main", **over: Any) -> dict[str, Any]:
    return {"reference": reference, "connectorID": cid, "createdAt": "2025-01-02T03:04:05Z",
            "accountName": "Main", "type": "INTERNAL", "defaultAsset": "EUR/2",
            "metadata": {"team": "ops"}, **over}


def _payment(cid: str, **over: Any) -> dict[str, Any]:
    return {"reference": "pay-001", "connectorID": cid, "createdAt": "2025-01-02T00:00:00Z",
            "amount": 1250, "type": "PAYOUT", "status": "SUCCEEDED", "scheme": "sepa credit",
            "asset": "EUR/2", **over}


async def test_accounts_and_balances(client: httpx.AsyncClient, database: Database) -> None:
    cid = await _connector(database)
    r = await client.post(f"{V1}/accounts", json=_account(cid))
    assert r.status_code == 200, r.text
    account = r.json()["data"]
    assert account == {
        "id": ids.account_id(ids.ConnectorID.parse(cid), "main"),
        "createdAt": "2025-01-02T03:04:05Z", "reference": "main", "connectorID": cid,
        "provider": "DUMMY-PAY", "defaultCurrency": "EUR/2", "defaultAsset": "EUR/2",
        "accountName": "Main", "type": "INTERNAL", "metadata": {"team": "ops"}, "raw": {}}
    assert (await client.get(f"{V1}/accounts/{account['id']}")).json()["data"] == account
    # The v3 view of the same account.
    v3 = (await client.get(f"{V3}/accounts/{account['id']}")).json()["data"]
    assert (v3["name"], v3["defaultAsset"], v3["connectorID"]) == ("Main", "EUR/2", cid)

    for ref in ("b", "c"):
        await client.post(f"{V1}/accounts", json=_account(cid, ref))
    page = (await client.get(f"{V1}/accounts", params={"pageSize": 2})).json()["cursor"]
    assert (page["pageSize"], page["hasMore"], len(page["data"])) == (2, True, 2)
    rest = (await client.get(f"{V1}/accounts", params={"cursor": page["next"]})).json()
    assert [a["reference"] for a in page["data"] + rest["cursor"]["data"]] == \
        ["main", "b", "c"]
    assert rest["cursor"]["hasMore"] is False and "previous" in rest["cursor"]
    # A filter as the `query` parameter (a JSON string), or as the body.
    query = json.dumps({"$match": {"reference": "b"}})
    by_param = (await client.get(f"{V1}/accounts", params={"query": query})).json()
    assert [a["reference"] for a in by_param["cursor"]["data"]] == ["b"]
    by_body = await client.request("GET", f"{V1}/accounts",
                                   json={"$match": {"reference": "c"}})
    assert [a["reference"] for a in by_body.json()["cursor"]["data"]] == ["c"]
    _error(await client.get(f"{V1}/accounts", params={"query": "{"}), 400, "VALIDATION")
    _error(await client.get(f"{V1}/accounts", params={"query": '{"$match":{"x":"1"}}'}),
           400, "VALIDATION")

    await PgPaymentsStore(database).save_page(cid, "FETCH_BALANCES", {}, [], [
        Balance(account_id=account["id"], asset=asset, balance=amount, created_at=T0,
                last_updated_at=T0) for asset, amount in (("EUR/2", 2**70), ("USD/2", 5))], [])
    balances = (await client.get(f"{V1}/accounts/{account['id']}/balances")).json()
    assert sorted((b["asset"], b["currency"], b["balance"], b["accountId"])
                  for b in balances["cursor"]["data"]) == [
        ("EUR/2", "EUR/2", 2**70, account["id"]), ("USD/2", "USD/2", 5, account["id"])]
    one = (await client.get(f"{V1}/accounts/{account['id']}/balances",
                            params={"asset": "USD/2", "limit": 1})).json()["cursor"]
    assert [b["balance"] for b in one["data"]] == [5] and one["pageSize"] == 1
    assert "not supported" in _error(await client.get(
        f"{V1}/accounts/{account['id']}/balances", params={"from": "2025-01-01T00:00:00Z"}),
        400, "VALIDATION")


async def test_payments(client: httpx.AsyncClient, database: Database) -> None:
    cid = await _connector(database)
    source = (await client.post(f"{V1}/accounts", json=_account(cid))).json()["data"]["id"]
    r = await client.post(f"{V1}/payments", json=_payment(cid, sourceAccountID=source))
    assert r.status_code == 200, r.text
    payment = r.json()["data"]
    assert payment["id"] == ids.payment_id(ids.ConnectorID.parse(cid), "pay-001", "PAYOUT")
    assert {k: payment[k] for k in ("status", "type", "scheme", "amount", "initialAmount",
                                     "asset", "provider", "sourceAccountID",
                                     "destinationAccountID", "metadata")} == {
        "status": "SUCCEEDED", "type": "PAYOUT", "scheme": "sepa credit", "amount": 1250,
        "initialAmount": 1250, "asset": "EUR/2", "provider": "DUMMY-PAY",
        "sourceAccountID": source, "destinationAccountID": "", "metadata": {}}
    assert payment["adjustments"] == [{"reference": "pay-001",
                                       "createdAt": "2025-01-02T00:00:00Z",
                                       "status": "SUCCEEDED", "amount": 1250, "raw": {}}]
    assert (await client.get(f"{V1}/payments/{payment['id']}")).json()["data"] == payment
    v3 = (await client.get(f"{V3}/payments/{payment['id']}")).json()["data"]
    assert (v3["scheme"], v3["status"], v3["sourceAccountID"], v3["destinationAccountID"]) == (
        "SEPA_CREDIT", "SUCCEEDED", source, None)

    r = await client.patch(f"{V1}/payments/{payment['id']}/metadata", json={"order": "42"})
    assert r.status_code == 204, r.text
    assert (await client.get(f"{V3}/payments/{payment['id']}")).json()["data"]["metadata"] == \
        {"order": "42"}
    listed = await client.get(f"{V1}/payments", params={
        "query": json.dumps({"$match": {"connector_id": cid}}), "sort": "date:asc"})
    assert [p["id"] for p in listed.json()["cursor"]["data"]] == [payment["id"]]


async def test_v3_statuses_and_schemes_v1_cannot_name(client: httpx.AsyncClient,
                                                      database: Database) -> None:
    """A v3 payment whose status, type or scheme the v1 enums lack reads as OTHER/other in v1,
    and the amount of each adjustment is the payment's amount after it."""
    cid = await _connector(database)
    r = await client.post(f"{V3}/payments", json={
        "reference": "v3-only", "connectorID": cid, "createdAt": "2025-01-02T00:00:00Z",
        "type": "UNKNOWN", "initialAmount": 100, "amount": 80, "asset": "EUR/2",
        "scheme": "SOMETHING_NEW",
        "adjustments": [
            {"reference": "v3-only", "createdAt": "2025-01-02T00:00:00Z",
             "status": "AUTHORISATION", "amount": 100},
            {"reference": "v3-only", "createdAt": "2025-01-02T01:00:00Z", "status": "CAPTURE"},
            {"reference": "v3-only", "createdAt": "2025-01-02T02:00:00Z",
             "status": "REFUND_REVERSED", "amount": 80}]})
    assert r.status_code == 201, r.text
    v1 = (await client.get(f"{V1}/payments/{r.json()['data']['id']}")).json()["data"]
    assert (v1["status"], v1["type"], v1["scheme"]) == ("OTHER", "OTHER", "other")
    assert [(a["status"], a["amount"]) for a in v1["adjustments"]] == [
        ("OTHER", 80), ("OTHER", 100), ("OTHER", 100)]


@pytest.mark.parametrize(("over", "field"), [
    ({"status": "CAPTURE"}, "status"), ({"status": None}, "status"), ({"type": "PAY_IN"}, "type"),
    ({"scheme": "SEPA"}, "scheme"), ({"amount": -1}, "amount"), ({"amount": "1"}, "amount"),
    ({"reference": ""}, "reference"), ({"asset": "euros"}, "asset"),
    ({"createdAt": "soon"}, "createdAt"), ({"connectorID": None}, "connectorID"),
    ({"destinationAccountID": "%%"}, "destinationAccountID"),
])
async def test_bad_payment_bodies(client: httpx.AsyncClient, database: Database,
                                  over: dict[str, Any], field: str) -> None:
    cid = await _connector(database)
    message = _error(await client.post(f"{V1}/payments", json=_payment(cid, **over)), 400,
                     "VALIDATION")
    assert field in message or "id" in message, message
    listed = await client.get(f"{V3}/payments")
    assert listed.json()["cursor"]["data"] == []


async def test_errors_are_told_in_v1_codes(client: httpx.AsyncClient,
                                           database: Database) -> None:
    """INVALID_ID and MISSING_OR_INVALID_BODY of the v3 core are VALIDATION in v1; unknown
    objects NOT_FOUND; a bad query parameter VALIDATION; nothing is a 500."""
    cid = await _connector(database)
    _error(await client.get(f"{V1}/accounts/not-an-id"), 400, "VALIDATION")
    _error(await client.get(f"{V1}/payments/%25%25"), 400, "VALIDATION")
    missing = ids.account_id(ids.ConnectorID.parse(cid), "nowhere")
    assert "not found" in _error(await client.get(f"{V1}/accounts/{missing}"), 404,
                                 "NOT_FOUND")
    _error(await client.get(f"{V1}/accounts/{missing}/balances"), 404, "NOT_FOUND")
    for path in ("accounts", "payments", "bank-accounts", "pools"):
        _error(await client.post(f"{V1}/{path}", content=b"{"), 400, "VALIDATION")
        _error(await client.post(f"{V1}/{path}"), 400, "VALIDATION")
        _error(await client.post(f"{V1}/{path}", json=[1]), 400, "VALIDATION")
    _error(await client.get(f"{V1}/payments", params={"pageSize": 0}), 400, "VALIDATION")
    _error(await client.get(f"{V1}/payments", params={"pageSize": "x"}), 400, "VALIDATION")
    _error(await client.get(f"{V1}/payments", params={"cursor": "!!"}), 400, "VALIDATION")
    # A cursor is client input: edited, its filters are checked as a query's would be.
    for filters in ({"metadata[x]": "y"}, {"nope": "1"}, {"reference": "a\x00"},
                    {"reference": 1}):
        edited = encode_token({"offset": 0, "pageSize": 15, "filters": filters})
        for path in ("payments", "accounts", "transfer-initiations"):
            _error(await client.get(f"{V1}/{path}", params={"cursor": edited}), 400,
                   "VALIDATION")
    edited = encode_token({"offset": 2**63, "pageSize": 15, "filters": {}})
    _error(await client.get(f"{V1}/payments", params={"cursor": edited}), 400, "VALIDATION")
    _error(await client.patch(f"{V1}/payments/{missing}/metadata", json={"a": 1}), 400,
           "VALIDATION")
    generic = await _connector(database, "generic")
    assert "ALLOW_FORMANCE_ACCOUNT_CREATION" in _error(
        await client.post(f"{V1}/accounts", json=_account(generic)), 400, "VALIDATION")
    # v3 still answers with its own codes.
    _error(await client.get(f"{V3}/accounts/not-an-id"), 400, "INVALID_ID")


async def test_pools(client: httpx.AsyncClient, database: Database) -> None:
    cid = await _connector(database)
    acc = {}
    for ref in ("a", "b"):
        acc[ref] = (await client.post(f"{V1}/accounts", json=_account(cid, ref))).json()[
            "data"]["id"]
    store = PgPaymentsStore(database)
    await store.save_page(cid, "FETCH_BALANCES", {}, [], [
        Balance(account_id=acc[ref], asset="EUR/2", balance=amount,
                created_at=datetime(2025, 1, day, tzinfo=UTC),
                last_updated_at=datetime(2025, 1, day, tzinfo=UTC))
        for ref, amount, day in (("a", 100, 1), ("b", 50, 2), ("a", 300, 3))], [])

    r = await client.post(f"{V1}/pools", json={"name": "treasury", "accountIDs": [acc["a"]]})
    assert r.status_code == 200, r.text
    pool = r.json()["data"]
    assert (pool["name"], pool["type"], pool["accounts"]) == ("treasury", "STATIC", [acc["a"]])
    assert (await client.get(f"{V1}/pools/{pool['id']}")).json()["data"] == pool
    r = await client.post(f"{V1}/pools/{pool['id']}/accounts", json={"accountID": acc["b"]})
    assert r.status_code == 204, r.text
    v3 = (await client.get(f"{V3}/pools/{pool['id']}")).json()["data"]
    assert sorted(v3["poolAccounts"]) == sorted(acc.values())

    at = await client.get(f"{V1}/pools/{pool['id']}/balances",
                          params={"at": "2025-01-02T12:00:00Z"})
    assert at.status_code == 200, at.text
    assert [(b["asset"], b["amount"]) for b in at.json()["data"]["balances"]] == [
        ("EUR/2", 150)]
    latest = (await client.get(f"{V1}/pools/{pool['id']}/balances/latest")).json()["data"]
    assert [(b["asset"], b["amount"]) for b in latest] == [("EUR/2", 350)]
    assert "at is required" in _error(await client.get(f"{V1}/pools/{pool['id']}/balances"),
                                      400, "VALIDATION")
    _error(await client.get(f"{V1}/pools/{pool['id']}/balances", params={"at": "x"}), 400,
           "VALIDATION")

    r = await client.delete(f"{V1}/pools/{pool['id']}/accounts/{acc['a']}")
    assert r.status_code == 204, r.text
    assert (await client.get(f"{V1}/pools/{pool['id']}")).json()["data"]["accounts"] == \
        [acc["b"]]

    dynamic = (await client.post(f"{V1}/pools", json={
        "name": "dyn", "query": {"$match": {"reference": "a"}}})).json()["data"]
    assert (dynamic["type"], dynamic["accounts"]) == ("DYNAMIC", [acc["a"]])
    r = await client.patch(f"{V1}/pools/{dynamic['id']}/query",
                           json={"query": {"$match": {"connector_id": cid}}})
    assert r.status_code == 204, r.text
    assert sorted((await client.get(f"{V1}/pools/{dynamic['id']}")).json()["data"][
        "accounts"]) == sorted(acc.values())
    listed = (await client.get(f"{V1}/pools", params={"pageSize": 1})).json()["cursor"]
    more = (await client.get(f"{V1}/pools", params={"cursor": listed["next"]})).json()
    assert {p["id"] for p in listed["data"] + more["cursor"]["data"]} == \
        {pool["id"], dynamic["id"]}
    _error(await client.get(f"{V1}/pools", params={"query": '{"$match":{"name":"x"}}'}), 400,
           "VALIDATION")

    _error(await client.post(f"{V1}/pools/{dynamic['id']}/accounts",
                             json={"accountID": acc["a"]}), 400, "VALIDATION")
    _error(await client.post(f"{V1}/pools/{pool['id']}/accounts", json={}), 400, "VALIDATION")
    _error(await client.post(f"{V1}/pools", json={"name": "x", "accountIDs": ["zz"]}), 400,
           "VALIDATION")
    _error(await client.get(f"{V1}/pools/not-a-uuid"), 400, "VALIDATION")
    r = await client.delete(f"{V1}/pools/{pool['id']}")
    assert r.status_code == 204
    _error(await client.get(f"{V1}/pools/{pool['id']}"), 404, "NOT_FOUND")
    _error(await client.delete(f"{V1}/pools/{pool['id']}"), 404, "NOT_FOUND")


async def _count(database: Database, table: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_bank_accounts(client: httpx.AsyncClient, database: Database) -> None:
    r = await client.post(f"{V1}/bank-accounts", json={
        "name": "Acme", "country": "FR", "iban": "FR7630006000011234567890189",
        "metadata": {"owner": "acme"}})
    assert r.status_code == 200, r.text
    bank = r.json()["data"]
    assert {k: bank[k] for k in ("name", "country", "iban", "metadata", "relatedAccounts")} == {
        "name": "Acme", "country": "FR", "iban": "FR7630006000011234567890189",
        "metadata": {"owner": "acme"}, "relatedAccounts": []}
    assert "connectorID" not in bank and "accountNumber" not in bank
    r = await client.patch(f"{V1}/bank-accounts/{bank['id']}/metadata",
                           json={"metadata": {"desk": "paris"}})
    assert r.status_code == 204, r.text
    got = (await client.get(f"{V1}/bank-accounts/{bank['id']}")).json()["data"]
    assert got["metadata"] == {"owner": "acme", "desk": "paris"}
    assert (await client.get(f"{V3}/bank-accounts/{bank['id']}")).json()["data"]["metadata"] \
        == got["metadata"]
    listed = (await client.get(f"{V1}/bank-accounts")).json()["cursor"]["data"]
    assert [b["id"] for b in listed] == [bank["id"]]

    # A create naming a connector that cannot take it writes nothing.
    generic = await _connector(database, "generic")
    before = await _count(database, "payments_bank_accounts")
    assert "CREATE_BANK_ACCOUNT" in _error(await client.post(f"{V1}/bank-accounts", json={
        "name": "x", "country": "FR", "connectorID": generic}), 400, "VALIDATION")
    _error(await client.post(f"{V1}/bank-accounts", json={
        "name": "x", "country": "FR", "connectorID": "zz"}), 400, "VALIDATION")
    assert await _count(database, "payments_bank_accounts") == before
    _error(await client.post(f"{V1}/bank-accounts/{bank['id']}/forward",
                             json={"connectorID": generic}), 400, "VALIDATION")
    _error(await client.post(f"{V1}/bank-accounts/{bank['id']}/forward", json={}), 400,
           "VALIDATION")
    _error(await client.get(f"{V1}/bank-accounts/{uuid.uuid4()}"), 404, "NOT_FOUND")
    _error(await client.patch(f"{V1}/bank-accounts/{bank['id']}/metadata", json={}), 400,
           "VALIDATION")


async def test_no_v1_route_answers_500_to_garbage(client: httpx.AsyncClient,
                                                  database: Database) -> None:
    """Every v1 route, its path parameters garbage or unknown, its body garbage: a 4xx in v1
    codes, nothing written (no Temporal here: no input may get that far)."""
    from api.payments.v1 import router

    cid = ids.ConnectorID("dummypay", str(uuid.uuid4()))  # well formed, not installed
    unknown_account = ids.account_id(cid, "nowhere")
    values = {"connector": ["NOPE", "DUMMY-PAY"], "connectorId": ["zz", str(cid)],
              "taskId": ["zz"], "accountId": ["zz", unknown_account],
              "paymentId": ["zz"], "poolId": ["zz", str(uuid.uuid4())],
              "bankAccountId": ["zz", str(uuid.uuid4())], "transferId": ["zz"]}
    bodies: list[Any] = [None, [], "x", {}, {"status": None, "connectorID": 7, "name": [1]}]
    for route in router.routes:
        path: str = route.path  # type: ignore[attr-defined]
        for method in route.methods:  # type: ignore[attr-defined]
            for i in range(2):
                url = path
                for name, options in values.items():
                    url = url.replace("{" + name + "}", options[min(i, len(options) - 1)])
                for body in bodies:
                    r = await client.request(method, f"{V1}{url}", json=body)
                    assert r.status_code < 500, (method, url, body, r.text)
                    # Lists and configs answer whatever the body; all else is refused.
                    if "{" in path or method != "GET":
                        assert r.status_code >= 400, (method, url, body, r.text)
                        assert r.json()["errorCode"] in ("VALIDATION", "NOT_FOUND"), r.text
    assert (await client.get(f"{V3}/bank-accounts")).json()["cursor"]["data"] == []
    assert (await client.get(f"{V3}/pools")).json()["cursor"]["data"] == []
