"""Pools over HTTP with real PostgreSQL (balances stored directly through the store, as a fetch
page would store them): members' balances add up per asset at an instant and latest; unknown
or malformed accounts are 400s; membership changes and deletion write their events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from domain.payments import ids
from domain.payments.models import AccountType, Balance, Connector
from domain.payments.plugin import PSPAccount
from domain.payments.service import to_account
from storage.database import Database
from storage.payments.store import PgPaymentsStore

P = "/api/payments/v3"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


async def _seed(database: Database) -> dict[str, str]:
    store = PgPaymentsStore(database)
    cid = ids.ConnectorID("generic", "11111111-1111-1111-1111-111111111111")
    await store.create_connector(Connector(id=str(cid), reference=cid.reference, name="c",
                                           provider="generic", created_at=T0, config={}))
    accounts = {ref: to_account(cid, PSPAccount(reference=ref, created_at=T0),
                                AccountType.INTERNAL) for ref in ("a", "b", "c")}
    await store.save_page(str(cid), "FETCH_ACCOUNTS", {}, list(accounts.values()), [], [])
    rows = [("a", "USD/2", 100, 1), ("b", "USD/2", 50, 2), ("b", "EUR/2", 7, 2),
            ("a", "USD/2", 150, 3), ("c", "USD/2", 1000, 1)]
    for ref, asset, amount, hour in rows:
        await store.save_page(str(cid), "FETCH_BALANCES", {}, [], [Balance(
            account_id=accounts[ref].id, asset=asset, balance=amount, created_at=_at(hour),
            last_updated_at=_at(hour))], [])
    return {ref: a.id for ref, a in accounts.items()}


def _sums(r: httpx.Response) -> dict[str, int]:
    assert r.status_code == 200, r.text
    return {b["asset"]: b["amount"] for b in r.json()["data"]}


async def _events(database: Database, kind: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(
            "SELECT count(*) FROM events_outbox WHERE app = 'payments' AND type = :t"),
            {"t": kind})).scalar_one())


async def test_pool_balances_add_up_at_a_time_and_latest(client: httpx.AsyncClient,
                                                         database: Database) -> None:
    acc = await _seed(database)
    r = await client.post(f"{P}/pools", json={"name": "treasury",
                                              "accountIDs": [acc["a"], acc["b"]]})
    assert r.status_code == 201, r.text
    pool = r.json()["data"]
    got = (await client.get(f"{P}/pools/{pool}")).json()["data"]
    assert got["name"] == "treasury" and got["type"] == "STATIC"
    assert sorted(got["poolAccounts"]) == sorted([acc["a"], acc["b"]])
    assert [p["id"] for p in (await client.get(f"{P}/pools")).json()["cursor"]["data"]] \
        == [pool]

    latest = await client.get(f"{P}/pools/{pool}/balances/latest")
    assert _sums(latest) == {"USD/2": 200, "EUR/2": 7}
    usd = next(b for b in latest.json()["data"] if b["asset"] == "USD/2")
    assert sorted(usd["relatedAccounts"]) == sorted([acc["a"], acc["b"]])
    at = _at(2).isoformat()
    assert _sums(await client.get(f"{P}/pools/{pool}/balances", params={"at": at})) == \
        {"USD/2": 150, "EUR/2": 7}
    assert _sums(await client.get(f"{P}/pools/{pool}/balances",
                                  params={"at": "2025-01-01T01:30:00"})) == {"USD/2": 100}
    assert _sums(await client.get(f"{P}/pools/{pool}/balances",
                                  params={"at": T0.isoformat()})) == {}

    r = await client.delete(f"{P}/pools/{pool}/accounts/{acc['b']}")
    assert r.status_code == 204
    r = await client.post(f"{P}/pools/{pool}/accounts/{acc['c']}")
    assert r.status_code == 204
    assert _sums(await client.get(f"{P}/pools/{pool}/balances/latest")) == {"USD/2": 1150}
    assert await _events(database, "SAVED_POOL") == 3

    assert (await client.delete(f"{P}/pools/{pool}")).status_code == 204
    assert (await client.get(f"{P}/pools/{pool}")).status_code == 404
    assert await _events(database, "DELETED_POOL") == 1


async def test_pools_refuse_bad_input(client: httpx.AsyncClient, database: Database) -> None:
    acc = await _seed(database)
    cid = ids.ConnectorID("generic", "11111111-1111-1111-1111-111111111111")
    unknown = ids.account_id(cid, "nope")
    r = await client.post(f"{P}/pools", json={"name": "p", "accountIDs": [acc["a"], unknown]})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION"
    assert unknown in r.json()["errorMessage"]
    r = await client.post(f"{P}/pools", json={"name": "p", "accountIDs": ["garbage"]})
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_ID"
    for body in ({"accountIDs": []}, {"name": "", "accountIDs": []},
                 {"name": "p", "accountIDs": "x"}, {"name": "p", "query": {"$match": {}}}):
        r = await client.post(f"{P}/pools", json=body)
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", body
    r = await client.post(f"{P}/pools", content=b"[")
    assert r.status_code == 400 and r.json()["errorCode"] == "MISSING_OR_INVALID_BODY"
    for path in ("/pools/x", "/pools/x/balances/latest"):
        r = await client.get(P + path)
        assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_ID"
    missing = "00000000-0000-0000-0000-000000000000"
    assert (await client.get(f"{P}/pools/{missing}")).status_code == 404
    assert (await client.delete(f"{P}/pools/{missing}")).status_code == 404
    assert (await client.post(f"{P}/pools/{missing}/accounts/{acc['a']}")).status_code == 404
    r = await client.post(f"{P}/pools", json={"name": "p", "accountIDs": []})
    pool = r.json()["data"]
    r = await client.post(f"{P}/pools/{pool}/accounts/{unknown}")
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION"
    for at in ("yesterday", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        r = await client.get(f"{P}/pools/{pool}/balances", params={"at": at})
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", at


async def test_dynamic_pools_follow_their_query(client: httpx.AsyncClient,
                                                database: Database) -> None:
    acc = await _seed(database)
    cid = ids.ConnectorID("generic", "11111111-1111-1111-1111-111111111111")
    query = {"$match": {"reference": "a"}}
    r = await client.post(f"{P}/pools", json={"name": "by-query", "query": query})
    assert r.status_code == 201, r.text
    pool = r.json()["data"]
    got = (await client.get(f"{P}/pools/{pool}")).json()["data"]
    assert (got["type"], got["query"], got["poolAccounts"]) == ("DYNAMIC", query, [acc["a"]])
    assert _sums(await client.get(f"{P}/pools/{pool}/balances/latest")) == {"USD/2": 150}

    # A new query: every account of the connector, those ingested later included.
    saved = await _events(database, "SAVED_POOL")
    every = {"$and": [{"$match": {"connector_id": str(cid)}}, {"$match": {"type": "INTERNAL"}}]}
    r = await client.patch(f"{P}/pools/{pool}/query", json={"query": every})
    assert r.status_code == 204, r.text
    assert await _events(database, "SAVED_POOL") == saved + 1
    later = to_account(cid, PSPAccount(reference="d", created_at=T0), AccountType.INTERNAL)
    await PgPaymentsStore(database).save_page(str(cid), "FETCH_ACCOUNTS", {}, [later], [], [])
    got = (await client.get(f"{P}/pools/{pool}")).json()["data"]
    assert sorted(got["poolAccounts"]) == sorted([*acc.values(), later.id])
    assert _sums(await client.get(f"{P}/pools/{pool}/balances/latest")) == \
        {"USD/2": 1200, "EUR/2": 7}
    assert _sums(await client.get(f"{P}/pools/{pool}/balances",
                                  params={"at": _at(2).isoformat()})) == \
        {"USD/2": 1150, "EUR/2": 7}
    listed = (await client.get(f"{P}/pools")).json()["cursor"]["data"]
    assert [p["type"] for p in listed if p["id"] == pool] == ["DYNAMIC"]

    # Its accounts are its query's: none is added or removed by hand.
    for method in ("POST", "DELETE"):
        r = await client.request(method, f"{P}/pools/{pool}/accounts/{acc['a']}")
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", method


async def test_dynamic_pools_refuse_bad_input(client: httpx.AsyncClient,
                                              database: Database) -> None:
    acc = await _seed(database)
    for body in ({"name": "p", "query": {"$match": {"psu_id": "x"}}},
                 {"name": "p", "query": {"$or": []}},
                 {"name": "p", "query": {"$match": {"reference": 1}}},
                 {"name": "p", "query": "reference=a"},
                 {"name": "p", "query": {"$match": {"reference": "a"}},
                  "accountIDs": [acc["a"]]}):
        r = await client.post(f"{P}/pools", json=body)
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", body
    static = (await client.post(f"{P}/pools", json={"name": "s", "accountIDs": [acc["a"]]})
              ).json()["data"]
    r = await client.patch(f"{P}/pools/{static}/query",
                           json={"query": {"$match": {"reference": "a"}}})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION"
    dynamic = (await client.post(f"{P}/pools", json={"name": "d", "query": {}})).json()["data"]
    for body in ({}, {"query": None}, {"query": []}, [1]):
        r = await client.patch(f"{P}/pools/{dynamic}/query", json=body)
        assert r.status_code == 400 and r.json()["errorCode"] == "MISSING_OR_INVALID_BODY", body
    r = await client.patch(f"{P}/pools/{dynamic}/query", json={"query": {"$match": {"x": "y"}}})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION"
    r = await client.patch(f"{P}/pools/nope/query", json={"query": {}})
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_ID"
    r = await client.patch(f"{P}/pools/00000000-0000-0000-0000-000000000000/query",
                           json={"query": {}})
    assert r.status_code == 404 and r.json()["errorCode"] == "NOT_FOUND"


async def test_dynamic_pools_match_account_metadata(client: httpx.AsyncClient,
                                                    database: Database) -> None:
    """`metadata[<key>]` in a pool's query: the accounts whose metadata has that value, those
    ingested later included; a bare `metadata` or an empty key is refused."""
    cid = ids.ConnectorID("generic", str(uuid.uuid4()))
    store = PgPaymentsStore(database)
    await store.create_connector(Connector(id=str(cid), reference=cid.reference, name="m",
                                           provider="generic", created_at=T0, config={}))
    accounts = [to_account(cid, PSPAccount(reference=ref, created_at=T0, metadata=meta),
                           AccountType.INTERNAL)
                for ref, meta in (("paris", {"desk": "paris", "team": "ops"}),
                                  ("lyon", {"desk": "lyon"}), ("bare", {}))]
    await store.save_page(str(cid), "FETCH_ACCOUNTS", {}, accounts, [], [])
    query = {"$and": [{"$match": {"connector_id": str(cid)}},
                      {"$match": {"metadata[desk]": "paris"}}]}
    r = await client.post(f"{P}/pools", json={"name": "paris", "query": query})
    assert r.status_code == 201, r.text
    pool = r.json()["data"]
    got = (await client.get(f"{P}/pools/{pool}")).json()["data"]
    assert (got["type"], got["query"], got["poolAccounts"]) == (
        "DYNAMIC", query, [accounts[0].id])
    later = to_account(cid, PSPAccount(reference="paris-2", created_at=T0,
                                       metadata={"desk": "paris"}), AccountType.INTERNAL)
    await store.save_page(str(cid), "FETCH_ACCOUNTS", {}, [later], [], [])
    got = (await client.get(f"{P}/pools/{pool}")).json()["data"]
    assert sorted(got["poolAccounts"]) == sorted([accounts[0].id, later.id])
    r = await client.patch(f"{P}/pools/{pool}/query", json={"query": {"$and": [
        {"$match": {"connector_id": str(cid)}}, {"$match": {"metadata[team]": "ops"}}]}})
    assert r.status_code == 204, r.text
    got = (await client.get(f"{P}/pools/{pool}")).json()["data"]
    assert got["poolAccounts"] == [accounts[0].id]
    for bad in ({"metadata": "paris"}, {"metadata[]": "paris"}, {"metadata[desk]": 1},
                {"metadata[de\x00sk]": "x"}, {"meta[desk]": "paris"}):
        r = await client.post(f"{P}/pools", json={"name": "p", "query": {"$match": bad}})
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", (bad, r.text)
