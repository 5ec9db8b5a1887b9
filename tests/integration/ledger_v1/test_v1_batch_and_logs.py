"""Ledger v1 `POST /{ledger}/transactions/batch` (all or none, the v1 answer shape) and the v1 view
of the logs (only the two log types the v1 spec knows), issue 14 points 6 and 8."""

from __future__ import annotations

from typing import Any

import httpx

V1 = "/api/ledger"


def posting(src: str, dst: str, amount: Any, asset: str = "USD") -> dict[str, Any]:
    return {"source": src, "destination": dst, "amount": amount, "asset": asset}


async def batch(client: httpx.AsyncClient, ledger: str, *txs: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{V1}/{ledger}/transactions/batch",
                             json={"transactions": list(txs)})


async def stats(client: httpx.AsyncClient, ledger: str) -> dict[str, int]:
    r = await client.get(f"{V1}/{ledger}/stats")
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def balances(client: httpx.AsyncClient, ledger: str) -> dict[str, Any]:
    r = await client.get(f"{V1}/{ledger}/balances")
    assert r.status_code == 200, r.text
    return {k: v for item in r.json()["cursor"]["data"] for k, v in item.items()}


async def test_batch_commits_every_transaction_in_order(client: httpx.AsyncClient) -> None:
    r = await batch(client, "b1",
                    {"postings": [posting("world", "users:1", 100)], "reference": "r1",
                     "metadata": {"n": 1}},
                    # Spends what the first transaction of the same batch brought.
                    {"postings": [posting("users:1", "shop", 60)],
                     "timestamp": "2024-05-01T10:00:00Z"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [tx["txid"] for tx in data] == [1, 2]
    first, second = data
    assert first["reference"] == "r1" and first["metadata"] == {"n": "1"}
    assert first["postings"] == [posting("world", "users:1", 100)]
    assert second["timestamp"].startswith("2024-05-01T10:00:00")
    assert second["postCommitVolumes"]["users:1"]["USD"] == {
        "input": 100, "output": 60, "balance": 40}
    assert second["preCommitVolumes"]["users:1"]["USD"]["balance"] == 100
    assert "id" not in first  # the v1 shape: txid only
    assert await stats(client, "b1") == {"accounts": 3, "transactions": 2}
    listed = (await client.get(f"{V1}/b1/transactions")).json()["cursor"]["data"]
    assert [t["txid"] for t in listed] == [2, 1]


async def test_batch_is_all_or_none(client: httpx.AsyncClient) -> None:
    ok = await client.post(f"{V1}/b2/transactions", json={"postings": [
        posting("world", "users:1", 10)]})
    assert ok.status_code == 200, ok.text
    before = (await stats(client, "b2"), await balances(client, "b2"))

    # The third transaction overdraws: the two before it are rolled back with it.
    r = await batch(client, "b2",
                    {"postings": [posting("world", "users:2", 50)]},
                    {"postings": [posting("users:1", "shop", 10)]},
                    {"postings": [posting("users:2", "shop", 51)]})
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "INSUFFICIENT_FUND"
    assert r.json()["errorMessage"].startswith("transactions[2]: ")
    assert (await stats(client, "b2"), await balances(client, "b2")) == before

    # A reference used twice in one batch: a conflict, nothing written.
    r = await batch(client, "b2", {"postings": [posting("world", "a", 1)], "reference": "dup"},
                    {"postings": [posting("world", "b", 1)], "reference": "dup"})
    assert r.status_code == 409 and r.json()["errorCode"] == "CONFLICT", r.text
    assert r.json()["errorMessage"].startswith("transactions[1]: ")
    assert (await stats(client, "b2"), await balances(client, "b2")) == before

    # An invalid transaction is refused before anything runs, naming its index and field.
    r = await batch(client, "b2", {"postings": [posting("world", "a", 1)]},
                    {"postings": [posting("world", "a", 1.5)]})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    assert r.json()["errorMessage"].startswith("body.transactions[1].postings[0].amount must")
    r = await batch(client, "b2", {"postings": [posting("world", "a", 1)]}, {"metadata": {}})
    assert r.status_code == 400 and r.json()["errorCode"] == "NO_SCRIPT", r.text
    assert r.json()["errorMessage"].startswith("transactions[1]: ")
    assert (await stats(client, "b2"), await balances(client, "b2")) == before


async def test_batch_body_and_size(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{V1}/b3/transactions/batch", json={"postings": []})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    assert "transactions" in r.json()["errorMessage"]
    r = await batch(client, "b3")
    assert r.status_code == 200 and r.json() == {"data": []}, r.text
    too_many = [{"postings": [posting("world", "a", 1)]}] * 101
    r = await batch(client, "b3", *too_many)
    assert r.status_code == 413, r.text
    assert (await stats(client, "b3"))["transactions"] == 0


async def test_v1_logs_show_only_the_v1_log_types(client: httpx.AsyncClient) -> None:
    ledger = "logs1"
    r = await client.post(f"{V1}/{ledger}/transactions", json={"postings": [
        posting("world", "users:1", 10)]})
    assert r.status_code == 200, r.text
    r = await client.post(f"{V1}/{ledger}/transactions/1/revert")
    assert r.status_code == 201, r.text
    r = await client.post(f"{V1}/{ledger}/accounts/users:1/metadata", json={"a": "1", "b": "2"})
    assert r.status_code == 204, r.text
    r = await client.delete(f"{V1}/v2/{ledger}/accounts/users:1/metadata/a")
    assert r.status_code == 204, r.text
    r = await client.post(f"{V1}/{ledger}/transactions", json={"postings": [
        posting("world", "users:2", 5)]})
    assert r.status_code == 200, r.text

    v2 = (await client.get(f"{V1}/v2/{ledger}/logs")).json()["cursor"]["data"]
    assert [log["type"] for log in v2] == ["NEW_TRANSACTION", "DELETE_METADATA",
                                          "SET_METADATA", "REVERTED_TRANSACTION",
                                          "NEW_TRANSACTION"]
    v1 = (await client.get(f"{V1}/{ledger}/logs")).json()["cursor"]["data"]
    # The deletion has no v1 equivalent and is left out; the revert is the new transaction it
    # made, its metadata saying which one it reverts.
    assert [(log["id"], log["type"]) for log in v1] == [
        (5, "NEW_TRANSACTION"), (3, "SET_METADATA"), (2, "NEW_TRANSACTION"),
        (1, "NEW_TRANSACTION")]
    revert = v1[2]
    assert revert["data"]["transaction"]["id"] == 2
    assert revert["data"]["transaction"]["metadata"] == {
        "com.formance.spec/state/reverts": "1"}
    assert revert["data"]["accountMetadata"] == {}
    assert revert["hash"] == v2[3]["hash"] and revert["date"] == v2[3]["date"]

    # Pages stay full and cursors exact: the left-out log is filtered by the query itself.
    page = (await client.get(f"{V1}/{ledger}/logs", params={"pageSize": 2})).json()["cursor"]
    assert [log["id"] for log in page["data"]] == [5, 3] and page["hasMore"]
    nxt = (await client.get(f"{V1}/{ledger}/logs",
                            params={"cursor": page["next"]})).json()["cursor"]
    assert [log["id"] for log in nxt["data"]] == [2, 1] and not nxt["hasMore"]
    after = (await client.get(f"{V1}/{ledger}/logs", params={"after": "5"})).json()
    assert [log["id"] for log in after["cursor"]["data"]] == [3, 2, 1]


async def test_v2_info_has_the_config_object(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{V1}/_/info")
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["server"] == "ledger" and info["version"]
    config = info["config"]
    assert config["storage"] == {"driver": "postgres"}
    assert config["defaultBucket"] == "_default"
    assert config["defaultFeatures"]["HASH_LOGS"] == "SYNC"
    assert config["experimentalFeatures"] is False


async def test_v1_monetary_vars_use_the_amount_parser(client: httpx.AsyncClient) -> None:
    plain = "vars {\n monetary $m\n}\nsend $m (\n source = @world\n destination = @a\n)\n"
    r = await client.post(f"{V1}/vars/transactions", json={"script": {
        "plain": plain, "vars": {"m": {"amount": 100.0, "asset": "EUR"}}}})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    assert r.json()["errorMessage"] == "script.vars.m.amount must be an integer, got a number 100.0"
    r = await client.post(f"{V1}/vars/transactions", json={"script": {
        "plain": plain, "vars": {"m": {"amount": "100", "asset": "EUR"}}}})
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["postings"][0]["amount"] == 100
