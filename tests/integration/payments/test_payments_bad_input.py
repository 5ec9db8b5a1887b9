"""The payments v3 API over HTTP with real PostgreSQL, without Temporal: bad input is a 400
with a v3 error code (never a 500), unknown objects are 404, and the lists answer the Formance
cursor shape."""

from __future__ import annotations

import httpx
import pytest

from domain.pagination import encode_token
from domain.payments import ids

P = "/api/payments/v3"
V3_CODES = {"INTERNAL", "VALIDATION", "INVALID_ID", "MISSING_OR_INVALID_BODY", "CONFLICT",
            "NOT_FOUND"}
GOOD = {"name": "g", "apiKey": "k", "endpoint": "http://127.0.0.1:9", "pollingPeriod": "30m"}
UNKNOWN_CONNECTOR = str(ids.ConnectorID("generic", "00000000-0000-0000-0000-000000000000"))


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["errorCode"] == code and body["errorCode"] in V3_CODES, body
    return str(body["errorMessage"])


async def test_configs_list_exactly_the_providers(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{P}/connectors/configs")
    assert r.status_code == 200
    data = r.json()["data"]
    assert set(data) == {"dummypay", "generic"}
    assert data["dummypay"]["directory"] == {"dataType": "string", "required": True}
    assert data["generic"]["apiKey"] == {"dataType": "string", "required": True}
    assert data["generic"]["pollingPeriod"]["defaultValue"] == "30m"


async def test_capabilities_list_exactly_the_providers(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{P}/connectors/capabilities")
    assert r.status_code == 200
    assert r.json()["data"] == {
        "dummypay": ["FETCH_ACCOUNTS", "FETCH_BALANCES", "FETCH_EXTERNAL_ACCOUNTS",
                     "FETCH_PAYMENTS", "FETCH_ORDERS", "FETCH_CONVERSIONS",
                     "CREATE_BANK_ACCOUNT", "CREATE_TRANSFER",
                     "CREATE_PAYOUT", "ALLOW_FORMANCE_ACCOUNT_CREATION",
                     "ALLOW_FORMANCE_PAYMENT_CREATION"],
        "generic": ["FETCH_ACCOUNTS", "FETCH_BALANCES", "FETCH_EXTERNAL_ACCOUNTS",
                    "FETCH_PAYMENTS", "CREATE_TRANSFER", "CREATE_PAYOUT"]}


@pytest.mark.parametrize(("provider", "body", "code", "names"), [
    ("nope", GOOD, "VALIDATION", "nope"),
    ("generic", {**GOOD, "apiKey": None}, "VALIDATION", "apiKey"),
    ("generic", {**GOOD, "endpoint": "ftp://x"}, "VALIDATION", "endpoint"),
    ("generic", {**GOOD, "pollingPeriod": "1m"}, "VALIDATION", "pollingPeriod"),
    ("generic", {**GOOD, "pollingPeriod": 5}, "VALIDATION", "pollingPeriod"),
    ("generic", {**GOOD, "pageSize": "many"}, "VALIDATION", "pageSize"),
    ("generic", {**GOOD, "pageSize": 10**30}, "VALIDATION", "pageSize"),
    ("generic", [1, 2], "VALIDATION", "object"),
])
async def test_install_refuses_bad_configs(client: httpx.AsyncClient, provider: str,
                                           body: object, code: str, names: str) -> None:
    r = await client.post(f"{P}/connectors/install/{provider}", json=body)
    assert names in _error(r, 400, code)


async def test_install_without_a_json_body(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{P}/connectors/install/generic", content=b"{not json")
    _error(r, 400, "MISSING_OR_INVALID_BODY")
    r = await client.post(f"{P}/connectors/install/generic")
    _error(r, 400, "MISSING_OR_INVALID_BODY")


@pytest.mark.parametrize("path", [
    "/connectors/%s", "/connectors/%s/config", "/connectors/%s/capabilities",
    "/connectors/%s/schedules", "/connectors/%s/schedules/s", "/accounts/%s",
    "/accounts/%s/balances",
    "/payments/%s", "/tasks/%s"])
async def test_bad_ids_are_invalid_id(client: httpx.AsyncClient, path: str) -> None:
    method = client.delete if path == "/connectors/%s" else client.get
    for bad in ("x", "bm90IGpzb24", "eyJhIjoxfQ"):
        _error(await method(P + path % bad), 400, "INVALID_ID")


async def test_unknown_objects_are_not_found(client: httpx.AsyncClient) -> None:
    cid = ids.ConnectorID.parse(UNKNOWN_CONNECTOR)
    _error(await client.get(f"{P}/connectors/{UNKNOWN_CONNECTOR}/config"), 404, "NOT_FOUND")
    _error(await client.delete(f"{P}/connectors/{UNKNOWN_CONNECTOR}"), 404, "NOT_FOUND")
    _error(await client.patch(f"{P}/connectors/{UNKNOWN_CONNECTOR}/config", json=GOOD), 404,
           "NOT_FOUND")
    _error(await client.patch(f"{P}/connectors/x/config", json=GOOD), 400, "INVALID_ID")
    _error(await client.get(f"{P}/connectors/{UNKNOWN_CONNECTOR}/schedules"), 404,
           "NOT_FOUND")
    _error(await client.get(f"{P}/accounts/{ids.account_id(cid, 'a')}"), 404, "NOT_FOUND")
    _error(await client.get(f"{P}/payments/{ids.payment_id(cid, 'p', 'PAY-IN')}"), 404,
           "NOT_FOUND")
    _error(await client.get(f"{P}/tasks/{ids.task_id(cid, 'uninstall')}"), 404, "NOT_FOUND")


async def test_lists_answer_the_cursor_shape_and_refuse_bad_queries(
        client: httpx.AsyncClient) -> None:
    for what in ("connectors", "accounts", "payments"):
        r = await client.get(f"{P}/{what}")
        assert r.status_code == 200, r.text
        assert r.json() == {"cursor": {"pageSize": 15, "hasMore": False, "data": []}}
    r = await client.request("GET", f"{P}/payments",
                             json={"$match": {"connector_id": UNKNOWN_CONNECTOR}})
    assert r.status_code == 200 and r.json()["cursor"]["data"] == []
    for query in ({"$match": {"nope": "x"}}, {"$or": []}, {"$match": {"status": 1}}, [1]):
        _error(await client.request("GET", f"{P}/payments", json=query), 400, "VALIDATION")
    _error(await client.request("GET", f"{P}/accounts", content=b"{"), 400,
           "MISSING_OR_INVALID_BODY")
    _error(await client.get(f"{P}/accounts", params={"cursor": "!!"}), 400, "VALIDATION")
    for state in ({"offset": 10**30, "pageSize": 5}, {"offset": -1, "pageSize": 5},
                  {"offset": 0, "pageSize": 5, "filters": {"reference": "\x00"}},
                  {"offset": 0, "pageSize": 5, "filters": {"nope": "x"}}):
        _error(await client.get(f"{P}/payments", params={"cursor": encode_token(state)}), 400,
               "VALIDATION")
    _error(await client.get(f"{P}/accounts", params={"pageSize": "0"}), 400, "VALIDATION")
    _error(await client.get(f"{P}/accounts", params={"pageSize": "x"}), 400, "VALIDATION")


async def test_install_answers_503_without_temporal_and_keeps_no_connector(
        client: httpx.AsyncClient) -> None:
    r = await client.post(f"{P}/connectors/install/generic", json=GOOD)
    assert r.status_code == 503, r.text
    assert (await client.get(f"{P}/connectors")).json()["cursor"]["data"] == []
