"""Orders and conversions end to end, over HTTP, with real PostgreSQL and the real Temporal dev
server: installing dummypay schedules FETCH_ORDERS and FETCH_CONVERSIONS like its other fetches;
its orders.json and conversions.json are ingested and read back through the four v3 routes
(list with query-builder filters and cursor pages, get with the adjustments history whose last
entry is the order's status, SAVED_ORDER / SAVED_CONVERSION events, 404 on an unknown id, 400
on an id that does not decode or a bad query, never a 500); an uninstall removes them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domain.payments import ids
from storage.database import Database
from tests.temporal_stack import ModuleStack, unique_modules
from tests.workflows.payments.test_payments_connectors import eventually

P = "/api/payments/v3"

ACCOUNTS = [{"reference": "usd-wallet", "createdAt": "2025-01-01T00:00:00Z"},
            {"reference": "btc-wallet", "createdAt": "2025-01-01T00:00:01Z"}]
ORDERS: list[dict[str, Any]] = [
    {"reference": f"o-{i}", "createdAt": f"2025-03-01T00:00:{i:02d}Z",
     "direction": "BUY" if i % 2 == 0 else "SELL",
     "sourceAsset": "USD/2" if i % 2 == 0 else "BTC/8",
     "destinationAsset": "BTC/8" if i % 2 == 0 else "USD/2", "type": "LIMIT",
     "status": "OPEN", "baseQuantityOrdered": 100_000_000 * (i + 1),
     "timeInForce": "GOOD_UNTIL_CANCELLED", "limitPrice": "6500000",
     "priceAsset": "USD/2", "clientOrderID": f"client-{i}",
     "sourceAccountReference": "usd-wallet", "destinationAccountReference": "btc-wallet",
     "metadata": {"desk": "crypto"}} for i in range(5)]
CONVERSIONS: list[dict[str, Any]] = [
    {"reference": "c-1", "createdAt": "2025-03-02T00:00:00Z", "sourceAsset": "USD/2",
     "destinationAsset": "USDC/6", "sourceAmount": 10000, "status": "PENDING",
     "sourceAccountReference": "usd-wallet"},
    {"reference": "c-2", "createdAt": "2025-03-02T00:00:01Z", "sourceAsset": "EUR/2",
     "destinationAsset": "USDC/6", "sourceAmount": "99999999999999999999999",
     "status": "FAILED", "error": "insufficient funds"}]


def _write(directory: Path, name: str, items: list[dict[str, Any]]) -> None:
    (directory / name).write_text(json.dumps(items))


async def _list(http: httpx.AsyncClient, what: str, query: dict[str, Any],
                **params: Any) -> dict[str, Any]:
    r = await http.request("GET", f"{P}/{what}", params=params, json=query)
    assert r.status_code == 200, r.text
    return dict(r.json()["cursor"])


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


async def test_dummypay_orders_and_conversions_through_the_api(
        http: httpx.AsyncClient, database: Database, tmp_path: Path) -> None:
    _write(tmp_path, "accounts.json", ACCOUNTS)
    _write(tmp_path, "orders.json", ORDERS)
    _write(tmp_path, "conversions.json", CONVERSIONS)
    r = await http.post(f"{P}/connectors/install/dummypay", json={
        "name": "exchange", "directory": str(tmp_path), "pollingPeriod": "2s", "pageSize": 2})
    assert r.status_code == 202, r.text
    cid = r.json()["data"]
    mine = {"$match": {"connector_id": cid}}

    # Its schedules include the two new fetches, as its capabilities say.
    caps = (await http.get(f"{P}/connectors/{cid}/capabilities")).json()["data"]
    assert {"FETCH_ORDERS", "FETCH_CONVERSIONS"} <= set(caps)

    async def ingested() -> bool:
        orders = await _list(http, "orders", mine, pageSize=100)
        conversions = await _list(http, "conversions", mine, pageSize=100)
        return len(orders["data"]) == 5 and len(conversions["data"]) == 2

    await eventually(ingested, "the orders and conversions ingested")
    schedules = (await http.get(f"{P}/connectors/{cid}/schedules",
                                params={"pageSize": 20})).json()["cursor"]["data"]
    assert {s["id"].rsplit("-", 1)[-1] for s in schedules} >= {"FETCH_ORDERS",
                                                                  "FETCH_CONVERSIONS"}, \
        schedules

    # The list: V3Order fields, ordered by creation, ids composed from connector and reference.
    first = await _list(http, "orders", mine, pageSize=2)
    assert first["hasMore"] is True and first["pageSize"] == 2
    assert [o["reference"] for o in first["data"]] == ["o-0", "o-1"]
    o0 = first["data"][0]
    connector = ids.ConnectorID.parse(cid)
    assert o0["id"] == ids.order_id(connector, "o-0")
    assert (o0["connectorID"], o0["provider"], o0["direction"], o0["type"], o0["status"],
            o0["baseQuantityOrdered"], o0["limitPrice"], o0["timeInForce"],
            o0["clientOrderID"], o0["priceAsset"], o0["metadata"]) == (
        cid, "dummypay", "BUY", "LIMIT", "OPEN", 100_000_000, 6500000,
        "GOOD_UNTIL_CANCELLED", "client-0", "USD/2", {"desk": "crypto"})
    assert o0["sourceAccountID"] == ids.account_id(connector, "usd-wallet")
    assert o0["baseQuantityFilled"] is None and o0["stopPrice"] is None
    assert [a["status"] for a in o0["adjustments"]] == ["OPEN"]

    # Paging: the cursor carries the filter and the page size, to the end and back.
    seen = [o["reference"] for o in first["data"]]
    cursor = first
    while cursor["hasMore"]:
        r = await http.get(f"{P}/orders", params={"cursor": cursor["next"]})
        assert r.status_code == 200, r.text
        cursor = r.json()["cursor"]
        seen += [o["reference"] for o in cursor["data"]]
    assert seen == [f"o-{i}" for i in range(5)]
    back = (await http.get(f"{P}/orders", params={"cursor": cursor["previous"]})).json()
    assert [o["reference"] for o in back["cursor"]["data"]] == ["o-2", "o-3"]

    # Filters: $match and $and on the spec's keys.
    sells = await _list(http, "orders", {"$and": [mine, {"$match": {"direction": "SELL"}}]})
    assert [o["reference"] for o in sells["data"]] == ["o-1", "o-3"]
    usd = await _list(http, "orders", {"$and": [mine, {"$match": {"source_asset": "USD/2"}}]})
    assert [o["reference"] for o in usd["data"]] == ["o-0", "o-2", "o-4"]
    one = await _list(http, "orders", {"$match": {"reference": "o-4"}})
    assert [o["connectorID"] for o in one["data"]] == [cid]

    # The exchange fills o-0 in two steps: each new state is an adjustment, the order shows
    # the latest, the history is oldest first.
    ORDERS[0] = {**ORDERS[0], "status": "PARTIALLY_FILLED", "baseQuantityFilled": 40_000_000,
                 "fee": 12, "feeAsset": "USD/2", "updatedAt": "2025-03-01T01:00:00Z"}
    partial = dict(ORDERS[0])
    ORDERS[0] = {**ORDERS[0], "status": "FILLED", "baseQuantityFilled": 100_000_000,
                 "fee": 30, "averageFillPrice": 6400000, "quoteAmount": "6400000",
                 "quoteAsset": "USD/2", "updatedAt": "2025-03-01T02:00:00Z"}
    # Both states are in the file, the older one after the newer: the order still ends FILLED.
    _write(tmp_path, "orders.json", [*ORDERS, partial])
    oid = o0["id"]

    async def filled() -> dict[str, Any]:
        r = await http.get(f"{P}/orders/{oid}")
        assert r.status_code == 200, r.text
        order: dict[str, Any] = r.json()["data"]
        return order if len(order["adjustments"]) == 3 else {}

    order = await eventually(filled, "the filled order")
    assert [a["status"] for a in order["adjustments"]] == ["OPEN", "PARTIALLY_FILLED", "FILLED"]
    assert order["status"] == order["adjustments"][-1]["status"] == "FILLED"
    assert (order["baseQuantityFilled"], order["fee"], order["averageFillPrice"],
            order["quoteAmount"], order["updatedAt"]) == (
        100_000_000, 30, 6400000, 6400000, "2025-03-01T02:00:00Z")
    assert order["adjustments"][1]["baseQuantityFilled"] == 40_000_000
    assert order["adjustments"][1]["fee"] == 12
    assert order["adjustments"][1]["raw"]["status"] == "PARTIALLY_FILLED"
    assert len({a["id"] for a in order["adjustments"]}) == 3
    filled_list = await _list(http, "orders", {"$and": [mine, {"$match": {"status": "FILLED"}}]})
    assert [o["id"] for o in filled_list["data"]] == [oid]

    # Conversions: the latest state only; amounts beyond 64 bits kept exactly.
    conversions = (await _list(http, "conversions", mine))["data"]
    assert [c["reference"] for c in conversions] == ["c-1", "c-2"]
    c2 = conversions[1]
    assert (c2["status"], c2["error"], c2["sourceAmount"], c2["destinationAmount"]) == (
        "FAILED", "insufficient funds", 99999999999999999999999, None)
    c1_id = ids.conversion_id(connector, "c-1")
    CONVERSIONS[0] = {**CONVERSIONS[0], "status": "COMPLETED", "destinationAmount": 9990000,
                      "fee": 100, "feeAsset": "USD/2", "updatedAt": "2025-03-02T00:05:00Z"}
    _write(tmp_path, "conversions.json", CONVERSIONS)

    async def completed() -> dict[str, Any]:
        conversion: dict[str, Any] = (await http.get(f"{P}/conversions/{c1_id}")).json()["data"]
        return conversion if conversion["status"] == "COMPLETED" else {}

    c1 = await eventually(completed, "the completed conversion")
    assert (c1["destinationAmount"], c1["fee"], c1["feeAsset"], c1["updatedAt"],
            c1["sourceAccountID"]) == (9990000, 100, "USD/2", "2025-03-02T00:05:00Z",
                                       ids.account_id(connector, "usd-wallet"))
    failed = await _list(http, "conversions", {"$and": [mine, {"$match": {"status": "FAILED"}}]})
    assert [c["reference"] for c in failed["data"]] == ["c-2"]

    # Events: one SAVED_ORDER per order state saved, one SAVED_CONVERSION per new or changed
    # conversion (polls that find nothing new write none).
    orders_saved = await _count(database, "SELECT count(*) FROM events_outbox WHERE type = "
                                          f"'SAVED_ORDER' AND envelope::text LIKE '%{cid}%'")
    assert orders_saved == 5 + 2, orders_saved
    assert await _count(database, "SELECT count(*) FROM events_outbox WHERE type = "
                                  f"'SAVED_CONVERSION' AND envelope::text LIKE '%{cid}%'") == 3

    # Unknown ids are 404, ids that do not decode 400, bad queries 400: never a 500.
    unknown = ids.order_id(connector, "nope")
    r = await http.get(f"{P}/orders/{unknown}")
    assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND"), r.text
    r = await http.get(f"{P}/conversions/{ids.conversion_id(connector, 'nope')}")
    assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND"), r.text
    for bad in ("not-an-id", "e30", "W10", "eyJSZWZlcmVuY2UiOiJ4In0"):
        for what in ("orders", "conversions"):
            r = await http.get(f"{P}/{what}/{bad}")
            assert (r.status_code, r.json()["errorCode"]) == (400, "INVALID_ID"), (bad, r.text)
    # A NUL is refused before any route (PostgreSQL cannot hold it).
    assert (await http.get(f"{P}/orders/%00")).status_code == 400
    queries: list[Any] = [{"$match": {"amount": "1"}}, {"$match": {"status": 3}}, {"$or": []}, []]
    for query in queries:
        for what in ("orders", "conversions"):
            r = await http.request("GET", f"{P}/{what}", json=query)
            assert r.status_code == 400, (what, query, r.text)
    r = await http.request("GET", f"{P}/orders", content=b"{not json")
    assert (r.status_code, r.json()["errorCode"]) == (400, "MISSING_OR_INVALID_BODY"), r.text
    r = await http.get(f"{P}/orders", params={"cursor": "garbage"})
    assert r.status_code == 400, r.text
    r = await http.get(f"{P}/orders", params={"pageSize": 0})
    assert r.status_code == 400, r.text

    # Uninstalled: its orders and conversions go with it.
    r = await http.delete(f"{P}/connectors/{cid}")
    assert r.status_code == 202, r.text
    uninstall = r.json()["data"]["taskID"]

    async def uninstalled() -> bool:
        task = (await http.get(f"{P}/tasks/{uninstall}")).json()["data"]
        return bool(task["status"] == "SUCCEEDED")

    await eventually(uninstalled, "the uninstall")
    assert (await http.get(f"{P}/orders/{oid}")).status_code == 404
    assert (await _list(http, "orders", mine))["data"] == []
    assert (await _list(http, "conversions", mine))["data"] == []
