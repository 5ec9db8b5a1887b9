"""Ledger v1 (the legacy API at the root of /api/ledger) over HTTP: auto-created ledgers,
`txid`, empty accounts, preview, disableChecks, query-parameter filters and
the pagination aliases, v1 error codes."""

from __future__ import annotations

from typing import Any

import httpx

V1 = "/api/ledger"


def posting(src: str, dst: str, amount: int, asset: str = "USD") -> dict[str, Any]:
    return {"source": src, "destination": dst, "amount": amount, "asset": asset}


async def create(client: httpx.AsyncClient, ledger: str, *postings: dict[str, Any],
                 **extra: Any) -> httpx.Response:
    params = extra.pop("params", None)
    headers = extra.pop("headers", None)
    return await client.post(f"{V1}/{ledger}/transactions",
                             json={"postings": list(postings), **extra}, params=params,
                             headers=headers)


async def test_info_lists_ledgers_in_the_v1_shape(client: httpx.AsyncClient) -> None:
    await create(client, "books", posting("world", "a", 1))
    r = await client.get(f"{V1}/_info")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["server"] == "ledger" and data["version"]
    assert "books" in data["config"]["storage"]["ledgers"]


async def test_first_use_creates_the_ledger_in_its_own_bucket(client: httpx.AsyncClient
                                                              ) -> None:
    r = await client.get(f"{V1}/fresh/stats")
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"accounts": 0, "transactions": 0}}
    ledger = (await client.get("/api/ledger/v2/fresh")).json()["data"]
    assert ledger["bucket"] == "fresh"
    info = (await client.get(f"{V1}/fresh/_info")).json()["data"]
    assert info["name"] == "fresh" and info["storage"]["migrations"]


async def test_create_returns_an_array_with_txid_and_volumes(client: httpx.AsyncClient) -> None:
    r = await create(client, "l1", posting("world", "users:1", 100), reference="r1",
                     metadata={"n": 1, "s": "x"})
    assert r.status_code == 200, r.text
    [tx] = r.json()["data"]
    assert tx["txid"] == 1 and "id" not in tx
    assert tx["reference"] == "r1"
    assert tx["metadata"] == {"n": "1", "s": "x"}  # v1 values of any JSON type, kept as text
    assert tx["postCommitVolumes"]["users:1"]["USD"] == {"input": 100, "output": 0,
                                                         "balance": 100}
    assert tx["preCommitVolumes"]["users:1"]["USD"]["balance"] == 0
    got = (await client.get(f"{V1}/l1/transactions/1")).json()["data"]
    assert got["txid"] == 1 and got["postings"] == [posting("world", "users:1", 100)]


async def test_preview_writes_nothing(client: httpx.AsyncClient) -> None:
    r = await create(client, "l2", posting("world", "a", 5), params={"preview": "true"})
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["txid"] == 1
    r = await client.head(f"{V1}/l2/transactions")
    assert r.headers["Count"] == "0"


async def test_script_with_monetary_vars(client: httpx.AsyncClient) -> None:
    plain = ("vars {\n monetary $m\n account $dst\n}\n"
             "send $m (\n source = @world\n destination = $dst\n)\n")
    r = await client.post(f"{V1}/l3/transactions", json={"script": {
        "plain": plain, "vars": {"m": {"amount": 42, "asset": "EUR"}, "dst": "users:2"}}})
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["postings"] == [posting("world", "users:2", 42, "EUR")]


async def test_errors_use_the_v1_codes(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{V1}/l4/transactions", json={})
    assert r.status_code == 400 and r.json()["errorCode"] == "NO_SCRIPT", r.text
    r = await create(client, "l4", posting("users:1", "b", 5))
    assert r.status_code == 400 and r.json()["errorCode"] == "INSUFFICIENT_FUND", r.text
    r = await client.get(f"{V1}/l4/transactions/99")
    assert r.status_code == 404 and r.json()["errorCode"] == "NOT_FOUND", r.text
    r = await client.post(f"{V1}/l4/transactions/batch", json={"transactions": [
        {"postings": [posting("users:1", "b", 5)]}]})
    assert r.status_code == 400 and r.json()["errorCode"] == "INSUFFICIENT_FUND", r.text


async def test_unknown_account_is_empty_and_known_one_has_balances(client: httpx.AsyncClient
                                                                   ) -> None:
    r = await client.get(f"{V1}/l5/accounts/nobody")
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"address": "nobody", "metadata": {}, "volumes": {},
                                "balances": {}}
    await create(client, "l5", posting("world", "users:1", 30), posting("users:1", "x", 10))
    r = await client.post(f"{V1}/l5/accounts/users:1/metadata", json={"tier": "gold"})
    assert r.status_code == 204, r.text
    acc = (await client.get(f"{V1}/l5/accounts/users:1")).json()["data"]
    assert acc["metadata"] == {"tier": "gold"}
    assert acc["balances"] == {"USD": 20}
    assert acc["volumes"]["USD"] == {"input": 30, "output": 10, "balance": 20}


async def test_list_filters_and_pagination_aliases(client: httpx.AsyncClient) -> None:
    for n in range(1, 6):
        await create(client, "l6", posting("world", f"users:{n}", n * 10),
                     reference=f"ref{n}", metadata={"even": str(n % 2 == 0).lower()})
    page = (await client.get(f"{V1}/l6/transactions", params={"page_size": 2})).json()["cursor"]
    assert [t["txid"] for t in page["data"]] == [5, 4] and page["hasMore"]
    nxt = (await client.get(f"{V1}/l6/transactions",
                            params={"pagination_token": page["next"]})).json()["cursor"]
    assert [t["txid"] for t in nxt["data"]] == [3, 2]
    by_ref = (await client.get(f"{V1}/l6/transactions", params={"reference": "ref3"})).json()
    assert [t["txid"] for t in by_ref["cursor"]["data"]] == [3]
    by_md = (await client.get(f"{V1}/l6/transactions",
                              params={"metadata[even]": "true"})).json()["cursor"]["data"]
    assert [t["txid"] for t in by_md] == [4, 2]
    after = (await client.get(f"{V1}/l6/transactions", params={"after": "3"})).json()
    assert [t["txid"] for t in after["cursor"]["data"]] == [2, 1]
    dest = (await client.get(f"{V1}/l6/transactions",
                             params={"destination": "users:2"})).json()["cursor"]["data"]
    assert [t["txid"] for t in dest] == [2]
    rich = (await client.get(f"{V1}/l6/accounts", params={
        "balance": "30", "balanceOperator": "gte"})).json()["cursor"]["data"]
    assert [a["address"] for a in rich] == ["users:3", "users:4", "users:5"]
    r = await client.head(f"{V1}/l6/accounts", params={"address": "users:"})
    assert r.status_code == 204 and r.headers["Count"] == "5"
    balances = (await client.get(f"{V1}/l6/balances",
                                 params={"address": "users:1"})).json()["cursor"]["data"]
    assert balances == [{"users:1": {"USD": 10}}]
    agg = (await client.get(f"{V1}/l6/aggregate/balances",
                            params={"address": "users:"})).json()["data"]
    assert agg == {"USD": 150}
    r = await client.head(f"{V1}/l6/transactions", params={"account": "users:5"})
    assert r.status_code == 200 and r.headers["Count"] == "1"
    logs = (await client.get(f"{V1}/l6/logs", params={"pageSize": 3})).json()["cursor"]
    assert [log["id"] for log in logs["data"]] == [5, 4, 3]


async def test_revert_with_disable_checks_and_metadata(client: httpx.AsyncClient) -> None:
    await create(client, "l7", posting("world", "a", 10))
    await create(client, "l7", posting("a", "b", 10))
    r = await client.post(f"{V1}/l7/transactions/1/revert")
    assert r.status_code == 400 and r.json()["errorCode"] == "INSUFFICIENT_FUND", r.text
    r = await client.post(f"{V1}/l7/transactions/1/revert", params={"disableChecks": "true"})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["txid"] == 3
    r = await client.post(f"{V1}/l7/transactions/1/revert", params={"disableChecks": "true"})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    r = await client.post(f"{V1}/l7/transactions/2/metadata", json={"k": "v"})
    assert r.status_code == 204
    assert (await client.get(f"{V1}/l7/transactions/2")).json()["data"]["metadata"] == {"k": "v"}


async def test_idempotency_key_replays(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "k1"}
    first = await create(client, "l8", posting("world", "a", 1), headers=headers,
                         timestamp="2024-01-01T00:00:00Z")
    again = await create(client, "l8", posting("world", "a", 1), headers=headers,
                         timestamp="2024-01-01T00:00:00Z")
    assert again.status_code == 200 and again.headers.get("Idempotency-Hit") == "true"
    assert again.json()["data"][0]["txid"] == first.json()["data"][0]["txid"]


async def test_script_route_and_mapping(client: httpx.AsyncClient) -> None:
    plain = "send [USD 3] (\n source = @world\n destination = @a\n)\n"
    r = await client.post(f"{V1}/l9/script", json={"plain": plain})
    assert r.status_code == 200 and r.json()["transaction"]["txid"] == 1, r.text
    r = await client.post(f"{V1}/l9/script", json={"plain": "send [USD 3] ("})
    assert r.status_code == 200 and r.json()["errorCode"] == "COMPILATION_FAILED", r.text
    assert (await client.get(f"{V1}/l9/mapping")).json() == {"data": None}
    mapping = {"contracts": [{"account": "users:*", "expr": {"$gte": ["$balance", 0]}}]}
    r = await client.put(f"{V1}/l9/mapping", json=mapping)
    assert r.status_code == 200 and r.json()["data"] == mapping
    assert (await client.get(f"{V1}/l9/mapping")).json()["data"] == mapping


async def test_metrics_count_requests(client: httpx.AsyncClient) -> None:
    await client.get(f"{V1}/l10/stats")
    metrics = (await client.get(f"{V1}/_/metrics")).json()["requests"]
    assert metrics["GET /{ledger}/stats"] >= 1


async def test_v2_routes_are_not_shadowed(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/ledger/v2/unknown/transactions")
    assert r.status_code == 404 and r.json()["errorCode"] == "LEDGER_NOT_FOUND"
