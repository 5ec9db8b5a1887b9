from __future__ import annotations

from tests.integration.ledger.helpers import BASE, assert_error, create_ledger, posting, send


async def test_ledger_lifecycle(client):
    assert (await client.get("/api/ledger/_/info")).json()["server"] == "ledger"
    # `/_info` is v1's getInfo: `{data: ConfigInfo}`.
    assert (await client.get("/api/ledger/_info")).json()["data"]["server"] == "ledger"
    await create_ledger(client, "l1", metadata={"team": "a"})
    await create_ledger(client, "l2", bucket="b2")
    assert_error(await client.post(f"{BASE}/l1", json={}), 400, "LEDGER_ALREADY_EXISTS")
    assert_error(await client.post(f"{BASE}/bad name!", json={}), 400, "VALIDATION")
    assert_error(await client.post(f"{BASE}/l3", json={"features": {"HASH_LOGS": "NOPE"}}),
                 400, "VALIDATION")
    got = (await client.get(f"{BASE}/l1")).json()["data"]
    assert got["bucket"] == "_default" and got["metadata"] == {"team": "a"}
    assert got["features"]["HASH_LOGS"] == "SYNC"
    assert (await client.put(f"{BASE}/l1/metadata", json={"x": "1"})).status_code == 204
    assert (await client.delete(f"{BASE}/l1/metadata/team")).status_code == 204
    assert (await client.get(f"{BASE}/l1")).json()["data"]["metadata"] == {"x": "1"}
    page = (await client.get(f"{BASE}", params={"pageSize": 1})).json()["cursor"]
    assert [x["name"] for x in page["data"]] == ["l1"] and page["hasMore"]
    page2 = (await client.get(f"{BASE}", params={"cursor": page["next"]})).json()["cursor"]
    assert [x["name"] for x in page2["data"]] == ["l2"]
    filtered = (await client.request("GET", f"{BASE}", json={"$match": {"bucket": "b2"}})).json()
    assert [x["name"] for x in filtered["cursor"]["data"]] == ["l2"]
    assert_error(await client.request("GET", f"{BASE}", json={"$nope": {"bucket": "b2"}}), 400,
                 "VALIDATION")
    info = (await client.get(f"{BASE}/l1/_info")).json()["data"]
    assert info["name"] == "l1"


async def test_lists_filters_volumes(client):
    ledger = await create_ledger(client)
    await send(client, ledger, posting("world", "users:1", 10), metadata={"kind": "a"})
    await send(client, ledger, posting("world", "users:2", 20))
    await send(client, ledger, posting("users:2", "shops:1:main", 5))
    txs = (await client.request("GET", f"{BASE}/{ledger}/transactions",
                                json={"$match": {"account": "users:"}})).json()["cursor"]
    assert [t["id"] for t in txs["data"]] == [3, 2, 1]
    txs = (await client.get(f"{BASE}/{ledger}/transactions",
                            params={"query": '{"$match": {"metadata[kind]": "a"}}'})).json()
    assert [t["id"] for t in txs["cursor"]["data"]] == [1]
    r = await client.head(f"{BASE}/{ledger}/accounts")
    assert r.headers["Count"] == "4"
    accs = (await client.request("GET", f"{BASE}/{ledger}/accounts",
                                 json={"$gte": {"balance[USD]": 10}})).json()["cursor"]["data"]
    assert [a["address"] for a in accs] == ["users:1", "users:2"]
    vols = (await client.get(f"{BASE}/{ledger}/volumes")).json()["cursor"]["data"]
    assert {v["account"]: v["balance"] for v in vols} == {
        "shops:1:main": 5, "users:1": 10, "users:2": 15, "world": -30}
    grouped = (await client.get(f"{BASE}/{ledger}/volumes", params={"groupBy": 1})).json()
    assert {v["account"]: v["balance"] for v in grouped["cursor"]["data"]} == {
        "shops": 5, "users": 25, "world": -30}
    bal = (await client.get(f"{BASE}/{ledger}/aggregate/balances")).json()["data"]
    assert bal == {"USD": 0}
    assert_error(await client.get(f"{BASE}/{ledger}/transactions", params={"cursor": "zzz"}),
                 400, "VALIDATION")
    assert_error(await client.get(f"{BASE}/{ledger}/accounts/unknown"), 404, "NOT_FOUND")


async def test_bulk(client):
    ledger = await create_ledger(client)
    body = [
        {"action": "CREATE_TRANSACTION", "ik": "b1",
         "data": {"postings": [posting("world", "a", 10)], "metadata": {}}},
        {"action": "ADD_METADATA", "data": {"targetType": "TRANSACTION", "targetId": 1,
                                            "metadata": {"k": "v"}}},
        {"action": "ADD_METADATA", "data": {"targetType": "ACCOUNT", "targetId": "a",
                                            "metadata": {"k": "v"}}},
        {"action": "DELETE_METADATA", "data": {"targetType": "ACCOUNT", "targetId": "a",
                                               "key": "k"}},
        {"action": "REVERT_TRANSACTION", "data": {"id": 1}},
    ]
    r = await client.post(f"{BASE}/{ledger}/_bulk", json=body)
    assert r.status_code == 200, r.text
    assert [x["responseType"] for x in r.json()["data"]] == [
        "CREATE_TRANSACTION", "ADD_METADATA", "ADD_METADATA", "DELETE_METADATA",
        "REVERT_TRANSACTION"]
    # atomic with a failure: nothing is written, the status is 400
    bad = [{"action": "CREATE_TRANSACTION", "data": {"postings": [posting("world", "b", 1)]}},
           {"action": "CREATE_TRANSACTION", "data": {"postings": [posting("x", "b", 1)]}}]
    r = await client.post(f"{BASE}/{ledger}/_bulk?atomic=true&continueOnFailure=true", json=bad)
    assert r.status_code == 400
    assert r.json()["data"][1]["errorCode"] == "INSUFFICIENT_FUND"
    assert (await client.head(f"{BASE}/{ledger}/transactions")).headers["Count"] == "2"
    # non-atomic: the first element stays
    r = await client.post(f"{BASE}/{ledger}/_bulk", json=bad)
    assert r.status_code == 400
    assert (await client.head(f"{BASE}/{ledger}/transactions")).headers["Count"] == "3"
    # non-atomic, continueOnFailure: the failing element rolls back alone, the others commit
    mixed = [bad[0], bad[1], {"action": "CREATE_TRANSACTION",
                              "data": {"postings": [posting("world", "c", 2)]}}]
    r = await client.post(f"{BASE}/{ledger}/_bulk?continueOnFailure=true", json=mixed)
    assert r.status_code == 400
    assert [x["responseType"] for x in r.json()["data"]] == [
        "CREATE_TRANSACTION", "ERROR", "CREATE_TRANSACTION"]
    assert (await client.head(f"{BASE}/{ledger}/transactions")).headers["Count"] == "5"
    # without it, what follows the failure is not executed
    r = await client.post(f"{BASE}/{ledger}/_bulk", json=mixed)
    assert [x["responseType"] for x in r.json()["data"]] == [
        "CREATE_TRANSACTION", "ERROR", "ERROR"]
    assert (await client.head(f"{BASE}/{ledger}/transactions")).headers["Count"] == "6"
    balance = (await client.get(f"{BASE}/{ledger}/accounts/c")).json()["data"]
    assert balance["address"] == "c"
    r = await client.post(f"{BASE}/{ledger}/_bulk?parallel=true", json=bad[:1] * 5)
    assert r.status_code == 200
    too_many = [bad[0]] * 101
    assert_error(await client.post(f"{BASE}/{ledger}/_bulk", json=too_many), 413,
                 "BULK_SIZE_EXCEEDED")
