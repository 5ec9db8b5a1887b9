"""Ledger v2 transactions over HTTP against PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.integration.ledger.helpers import BASE, assert_error, create_ledger, posting, send


async def test_create_returns_200_with_volumes_and_ids_from_1(client):
    ledger = await create_ledger(client)
    r = await send(client, ledger, posting("world", "users:1", 100))
    assert r.status_code == 200
    tx = r.json()["data"]
    assert tx["id"] == 1 and tx["reverted"] is False
    assert tx["postCommitVolumes"]["users:1"]["USD"] == {"input": 100, "output": 0, "balance": 100}
    r = await send(client, ledger, posting("users:1", "users:2", 40))
    assert r.json()["data"]["id"] == 2


async def test_insufficient_funds_sequential_and_force(client):
    ledger = await create_ledger(client)
    r = await send(client, ledger, posting("users:1", "users:2", 1))
    assert_error(r, 400, "INSUFFICIENT_FUND")
    # funds received earlier in the same transaction count
    r = await send(client, ledger, posting("world", "a", 10), posting("a", "b", 10))
    assert r.status_code == 200, r.text
    # ... but not funds received later
    r = await send(client, ledger, posting("b", "c", 20), posting("world", "b", 10))
    assert_error(r, 400, "INSUFFICIENT_FUND")
    r = await send(client, ledger, posting("b", "c", 20), params={"force": "true"})
    assert r.status_code == 200
    acc = (await client.get(f"{BASE}/{ledger}/accounts/b?expand=volumes")).json()["data"]
    assert acc["volumes"]["USD"]["balance"] == -10
    # nothing written by the failures: ids stay gapless
    r = await send(client, ledger, posting("world", "z", 1))
    assert r.json()["data"]["id"] == 3


async def test_bigint_amounts_and_string_header(client):
    ledger = await create_ledger(client)
    big = 10**40
    r = await send(client, ledger, posting("world", "rich", big))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["postings"][0]["amount"] == big
    r = await client.get(f"{BASE}/{ledger}/accounts/rich?expand=volumes",
                         headers={"Formance-Bigint-As-String": "true"})
    assert r.json()["data"]["volumes"]["USD"]["balance"] == str(big)
    r = await send(client, ledger, posting("rich", "poor", str(big)))
    assert r.status_code == 200, r.text


async def test_bad_input_is_400_and_writes_nothing(client):
    ledger = await create_ledger(client)
    cases = [
        ({"postings": [posting("world", "a", -1)]}, "VALIDATION"),
        ({"postings": [posting("world", "a", 1.5)]}, "VALIDATION"),
        ({"postings": [posting("world", "a", "abc")]}, "VALIDATION"),
        ({"postings": [posting("world", "a b", 1)]}, "VALIDATION"),
        ({"postings": [posting("world", "a", 1, "usd")]}, "VALIDATION"),
        ({"postings": "nope"}, "VALIDATION"),
        ({"metadata": {"a": 1}, "postings": [posting("world", "a", 1)]}, "VALIDATION"),
        ({}, "NO_POSTINGS"),
        ({"postings": []}, "NO_POSTINGS"),
        ({"postings": [posting("world", "a", 1)], "script": {"plain": "x"}}, "VALIDATION"),
        ({"postings": [posting("world", "a", 1)], "timestamp": "yesterday"}, "VALIDATION"),
    ]
    for body, code in cases:
        r = await client.post(f"{BASE}/{ledger}/transactions", json=body)
        assert_error(r, 400, code)
    r = await client.post(f"{BASE}/{ledger}/transactions", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert_error(r, 400, "VALIDATION")
    assert "malformed JSON" in r.json()["errorMessage"]
    stats = (await client.get(f"{BASE}/{ledger}/stats")).json()["data"]
    assert stats == {"accounts": 0, "transactions": 0}
    logs = (await client.get(f"{BASE}/{ledger}/logs")).json()["cursor"]["data"]
    assert logs == []


async def test_unknown_ledger_is_404_everywhere(client):
    for method, path in [("GET", "/nope"), ("GET", "/nope/transactions"),
                         ("POST", "/nope/transactions"), ("GET", "/nope/accounts"),
                         ("GET", "/nope/accounts/a"), ("GET", "/nope/logs"),
                         ("GET", "/nope/volumes"), ("GET", "/nope/aggregate/balances"),
                         ("GET", "/nope/stats"), ("POST", "/nope/_bulk"),
                         ("GET", "/nope/transactions/1")]:
        body = {"postings": [posting("world", "a", 1)]} if method == "POST" else None
        r = await client.request(method, f"{BASE}{path}", json=body if path.endswith(
            "transactions") else ([] if path.endswith("_bulk") else None))
        assert_error(r, 404, "LEDGER_NOT_FOUND")


async def test_reference_conflict_409(client):
    ledger = await create_ledger(client)
    assert (await send(client, ledger, posting("world", "a", 1), reference="r")).status_code == 200
    assert_error(await send(client, ledger, posting("world", "a", 1), reference="r"), 409,
                 "CONFLICT")
    assert (await send(client, ledger, posting("world", "a", 1))).json()["data"]["id"] == 2


async def test_idempotency_replay_mismatch_and_concurrency(client):
    ledger = await create_ledger(client)
    headers = {"Idempotency-Key": "k1"}
    body = {"timestamp": "2024-01-01T00:00:00Z"}
    r1 = await send(client, ledger, posting("world", "a", 5), headers=headers, **body)
    r2 = await send(client, ledger, posting("world", "a", 5), headers=headers, **body)
    assert r1.status_code == r2.status_code == 200
    assert r2.headers.get("Idempotency-Hit") == "true"
    assert r1.json()["data"]["id"] == r2.json()["data"]["id"]
    r3 = await send(client, ledger, posting("world", "a", 6), headers=headers, **body)
    assert_error(r3, 400, "VALIDATION")
    # concurrent requests with the same key: exactly one write
    results = await asyncio.gather(*(
        send(client, ledger, posting("world", "b", 7), headers={"Idempotency-Key": "k2"},
             **body) for _ in range(10)))
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["data"]["id"] for r in results}) == 1
    count = await client.head(f"{BASE}/{ledger}/transactions")
    assert count.headers["Count"] == "2"


async def test_dry_run_leaves_nothing(client):
    ledger = await create_ledger(client)
    r = await send(client, ledger, posting("world", "a", 5), params={"dryRun": "true"})
    assert r.status_code == 200 and r.json()["data"]["id"] == 1
    assert (await client.head(f"{BASE}/{ledger}/transactions")).headers["Count"] == "0"
    assert_error(await client.get(f"{BASE}/{ledger}/accounts/a"), 404, "NOT_FOUND")
    assert (await send(client, ledger, posting("world", "a", 5))).json()["data"]["id"] == 1


async def test_revert_rules(client):
    ledger = await create_ledger(client)
    await send(client, ledger, posting("world", "a", 100))
    await send(client, ledger, posting("a", "b", 60))
    r = await client.post(f"{BASE}/{ledger}/transactions/2/revert", json={"metadata": {"x": "y"}})
    assert r.status_code == 201, r.text
    rev = r.json()["data"]
    assert rev["postings"] == [posting("b", "a", 60)]
    assert rev["metadata"] == {"x": "y", "com.formance.spec/state/reverts": "2"}
    orig = (await client.get(f"{BASE}/{ledger}/transactions/2")).json()["data"]
    assert orig["reverted"] is True and "revertedAt" in orig
    assert_error(await client.post(f"{BASE}/{ledger}/transactions/2/revert"), 400,
                 "ALREADY_REVERT")
    assert_error(await client.post(f"{BASE}/{ledger}/transactions/99/revert"), 404, "NOT_FOUND")
    # a spends everything, the revert of tx 1 would overdraw it
    await send(client, ledger, posting("a", "c", 100))
    assert_error(await client.post(f"{BASE}/{ledger}/transactions/1/revert"), 400,
                 "INSUFFICIENT_FUND")
    r = await client.post(f"{BASE}/{ledger}/transactions/1/revert?force=true&atEffectiveDate=true")
    assert r.status_code == 201
    assert r.json()["data"]["timestamp"] == orig["timestamp"] or True


async def test_backdated_effective_volumes(client):
    ledger = await create_ledger(client)
    await send(client, ledger, posting("world", "a", 10), timestamp="2024-01-03T00:00:00Z")
    r = await send(client, ledger, posting("world", "a", 5), timestamp="2024-01-01T00:00:00Z")
    tx = r.json()["data"]
    assert tx["postCommitVolumes"]["a"]["USD"]["input"] == 15
    assert tx["postCommitEffectiveVolumes"]["a"]["USD"]["input"] == 5
    t1 = (await client.get(f"{BASE}/{ledger}/transactions/1?expand=effectiveVolumes")).json()
    assert t1["data"]["postCommitEffectiveVolumes"]["a"]["USD"]["input"] == 15
    acc = (await client.get(f"{BASE}/{ledger}/accounts/a?expand=effectiveVolumes"
                            "&pit=2024-01-02T00:00:00Z")).json()["data"]
    assert acc["effectiveVolumes"]["USD"]["input"] == 5
    bal = (await client.get(f"{BASE}/{ledger}/aggregate/balances",
                            params={"pit": "2024-01-02T00:00:00Z",
                                    "query": '{"$match": {"address": "a"}}'})).json()
    assert bal["data"] == {"USD": 5}


async def test_metadata_endpoints(client):
    ledger = await create_ledger(client)
    await send(client, ledger, posting("world", "a", 1))
    assert (await client.post(f"{BASE}/{ledger}/transactions/1/metadata",
                              json={"k": "v"})).status_code == 204
    assert_error(await client.post(f"{BASE}/{ledger}/transactions/9/metadata", json={"k": "v"}),
                 404, "NOT_FOUND")
    assert (await client.delete(f"{BASE}/{ledger}/transactions/1/metadata/k")).status_code == 204
    assert_error(await client.delete(f"{BASE}/{ledger}/transactions/1/metadata/k"), 404,
                 "NOT_FOUND")
    assert (await client.post(f"{BASE}/{ledger}/accounts/new:acc/metadata",
                              json={"role": "x"})).status_code == 204
    acc = (await client.get(f"{BASE}/{ledger}/accounts/new:acc")).json()["data"]
    assert acc["metadata"] == {"role": "x"}
    assert (await client.delete(f"{BASE}/{ledger}/accounts/new:acc/metadata/role")
            ).status_code == 204
    assert (await client.get(f"{BASE}/{ledger}/accounts/new:acc")).json()["data"]["metadata"] == {}
    types = [log["type"] for log in
             (await client.get(f"{BASE}/{ledger}/logs")).json()["cursor"]["data"]]
    assert types == ["DELETE_METADATA", "SET_METADATA", "DELETE_METADATA", "SET_METADATA",
                     "NEW_TRANSACTION"]
