"""Wallets, balances, credits, debits, summary and transactions over HTTP, each checked against
the ledger transactions it produced (the ledger API's view of the same money)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.integration.wallets.helpers import (
    LEDGER,
    W,
    account,
    assert_error,
    create_wallet,
    credit,
    debit,
    key,
    ledger_balance,
    ledger_transactions,
    postings,
)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_info(wallets: httpx.AsyncClient) -> None:
    r = await wallets.get(f"{W}/_info")
    assert r.status_code == 200
    assert r.json()["version"]


async def test_create_get_list_and_update_wallets(wallets: httpx.AsyncClient) -> None:
    r = await wallets.post(f"{W}/wallets", json={"name": "alice", "metadata": {"tier": "gold"}})
    assert r.status_code == 201, r.text
    alice = r.json()["data"]
    assert alice["name"] == "alice" and alice["metadata"] == {"tier": "gold"}
    assert alice["ledger"] == LEDGER and alice["createdAt"].endswith("Z")
    bob = await create_wallet(wallets, "bob", {"tier": "silver"})

    # The wallet is its main account, with the Formance metadata keys.
    r = await wallets.get(f"/api/ledger/v2/{LEDGER}/accounts/{account(alice['id'])}")
    md = r.json()["data"]["metadata"]
    assert md["wallets/spec/type"] == "wallets.primary"
    assert md["wallets/id"] == alice["id"] and md["wallets/name"] == "alice"
    assert md["wallets/balances"] == "true" and md["wallets/balances/name"] == "main"
    assert md["wallets/custom_data_tier"] == "gold" and md["wallets/createdAt"]

    await credit(wallets, alice["id"], 250)
    r = await wallets.get(f"{W}/wallets/{alice['id']}")
    assert r.status_code == 200
    got = r.json()["data"]
    assert got["balances"] == {"main": {"assets": {"USD/2": 250}}}
    assert got["createdAt"] == alice["createdAt"]

    r = await wallets.get(f"{W}/wallets")
    assert {w["id"] for w in r.json()["cursor"]["data"]} == {alice["id"], bob}
    r = await wallets.get(f"{W}/wallets", params={"name": "bob"})
    assert [w["id"] for w in r.json()["cursor"]["data"]] == [bob]
    r = await wallets.get(f"{W}/wallets", params={"metadata[tier]": "gold", "expand": "balances"})
    data = r.json()["cursor"]["data"]
    assert [w["id"] for w in data] == [alice["id"]]
    assert data[0]["balances"]["main"]["assets"] == {"USD/2": 250}

    r = await wallets.patch(f"{W}/wallets/{bob}", json={"metadata": {"tier": "gold", "x": "1"}})
    assert r.status_code == 204, r.text
    r = await wallets.get(f"{W}/wallets/{bob}")
    assert r.json()["data"]["metadata"] == {"tier": "gold", "x": "1"}
    r = await wallets.get(f"{W}/wallets", params={"metadata[tier]": "gold"})
    assert len(r.json()["cursor"]["data"]) == 2


async def test_list_wallets_pages_with_cursors(wallets: httpx.AsyncClient) -> None:
    ids = {await create_wallet(wallets, f"w{i}") for i in range(5)}
    seen: list[str] = []
    r = await wallets.get(f"{W}/wallets", params={"pageSize": 2})
    while True:
        cursor = r.json()["cursor"]
        assert cursor["pageSize"] == 2
        seen += [w["id"] for w in cursor["data"]]
        if not cursor["hasMore"]:
            break
        r = await wallets.get(f"{W}/wallets", params={"cursor": cursor["next"]})
    assert sorted(seen) == sorted(ids)
    assert_error(await wallets.get(f"{W}/wallets", params={"cursor": "garbage"}), 400,
                 "VALIDATION", "invalid cursor")


async def test_unknown_wallet_is_404(wallets: httpx.AsyncClient) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    for r in (
        await wallets.get(f"{W}/wallets/{missing}"),
        await wallets.patch(f"{W}/wallets/{missing}", json={"metadata": {}}),
        await wallets.get(f"{W}/wallets/{missing}/balances"),
        await wallets.get(f"{W}/wallets/{missing}/summary"),
        await credit(wallets, missing, 1),
        await debit(wallets, missing, 1),
    ):
        assert_error(r, 404, "NOT_FOUND", "wallet")


async def test_create_wallet_idempotency(wallets: httpx.AsyncClient) -> None:
    ik = key()
    body = {"name": "idem", "metadata": {"a": "1"}}
    first = await wallets.post(f"{W}/wallets", json=body, headers={"Idempotency-Key": ik})
    again = await wallets.post(f"{W}/wallets", json=body, headers={"Idempotency-Key": ik})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    r = await wallets.get(f"{W}/wallets")
    assert len(r.json()["cursor"]["data"]) == 1
    other = await wallets.post(f"{W}/wallets", json={"name": "other", "metadata": {}},
                               headers={"Idempotency-Key": ik})
    assert_error(other, 409, "CONFLICT", ik)


async def test_balances(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    expires = datetime.now(UTC) + timedelta(days=1)
    r = await wallets.post(f"{W}/wallets/{wid}/balances",
                           json={"name": "bonus", "expiresAt": _iso(expires), "priority": 3})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["name"] == "bonus" and r.json()["data"]["priority"] == 3

    r = await wallets.get(f"/api/ledger/v2/{LEDGER}/accounts/{account(wid, 'bonus')}")
    md = r.json()["data"]["metadata"]
    assert md["wallets/id"] == wid and md["wallets/balances"] == "true"
    assert md["wallets/balances/name"] == "bonus" and md["wallets/balances/priority"] == "3"
    assert md["wallets/balances/expiresAt"]

    assert_error(await wallets.post(f"{W}/wallets/{wid}/balances", json={"name": "bonus"}),
                 400, "VALIDATION", "already exists")
    assert_error(await wallets.post(f"{W}/wallets/{wid}/balances", json={"name": "main"}),
                 400, "VALIDATION", "reserved")
    assert_error(await wallets.post(f"{W}/wallets/{wid}/balances", json={"name": "a:b"}),
                 400, "VALIDATION", "invalid balance name")

    await credit(wallets, wid, 40, balance="bonus")
    r = await wallets.get(f"{W}/wallets/{wid}/balances/bonus")
    assert r.status_code == 200
    assert r.json()["data"]["assets"] == {"USD/2": 40}
    r = await wallets.get(f"{W}/wallets/{wid}/balances")
    assert sorted(b["name"] for b in r.json()["cursor"]["data"]) == ["bonus", "main"]
    assert_error(await wallets.get(f"{W}/wallets/{wid}/balances/nope"), 404, "NOT_FOUND",
                 "balance 'nope'")


async def test_credit_moves_money_as_formance_does(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    src = await create_wallet(wallets, "source")
    r = await credit(wallets, wid, 100, metadata={"why": "topup"}, reference="ref-1")
    assert r.status_code == 204, r.text
    [tx] = await ledger_transactions(wallets)
    assert postings(tx) == [("world", account(wid), 100, "USD/2")]
    assert tx["metadata"] == {"wallets/transaction": "true", "why": "topup"}
    assert tx["reference"] == "ref-1"

    # Sources in order: the other wallet's main balance first, then a plain ledger account.
    await credit(wallets, src, 30)
    r = await credit(wallets, wid, 50, sources=[
        {"type": "WALLET", "identifier": src}, {"type": "ACCOUNT", "identifier": "world"}])
    assert r.status_code == 204, r.text
    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [(account(src), account(wid), 30, "USD/2"),
                            ("world", account(wid), 20, "USD/2")]
    assert await ledger_balance(wallets, account(wid)) == 150

    # A wallet source cannot go below zero.
    r = await credit(wallets, wid, 5, sources=[{"type": "WALLET", "identifier": src}])
    assert_error(r, 400, "INSUFFICIENT_FUND")
    assert_error(await credit(wallets, wid, 5, balance="nope"), 400, "VALIDATION",
                 "balance 'nope'")
    assert_error(await credit(wallets, wid, -5), 400, "VALIDATION", "amount")
    assert_error(await credit(wallets, wid, 5, asset="usd"), 400, "VALIDATION", "asset")
    assert_error(await credit(wallets, wid, 5, sources=[{"type": "BANK", "identifier": "x"}]),
                 400, "VALIDATION", "subject type")
    r = await wallets.post(f"{W}/wallets/{wid}/credit", json={"amount": {"asset": "USD/2"}})
    assert_error(r, 400, "VALIDATION", "amount")
    assert len(await ledger_transactions(wallets)) == 3


async def test_credit_idempotency(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    ik = {"Idempotency-Key": key()}
    assert (await credit(wallets, wid, 10, headers=ik)).status_code == 204
    assert (await credit(wallets, wid, 10, headers=ik)).status_code == 204
    assert len(await ledger_transactions(wallets)) == 1
    assert await ledger_balance(wallets, account(wid)) == 10
    r = await credit(wallets, wid, 11, headers=ik)
    assert_error(r, 409, "CONFLICT")


async def test_debit(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    other = await create_wallet(wallets, "other")
    await credit(wallets, wid, 100)
    r = await debit(wallets, wid, 30, metadata={"order": "42"})
    assert r.status_code == 204, r.text
    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [(account(wid), "world", 30, "USD/2")]
    assert tx["metadata"] == {"wallets/transaction": "true", "order": "42"}

    r = await debit(wallets, wid, 20, destination={"type": "WALLET", "identifier": other})
    assert r.status_code == 204
    r = await debit(wallets, wid, 5, destination={"type": "ACCOUNT", "identifier": "shop:1"})
    assert r.status_code == 204
    assert await ledger_balance(wallets, account(other)) == 20
    assert await ledger_balance(wallets, "shop:1") == 5
    assert await ledger_balance(wallets, account(wid)) == 45

    count = len(await ledger_transactions(wallets))
    assert_error(await debit(wallets, wid, 46), 400, "INSUFFICIENT_FUND", "insufficient funds")
    assert_error(await debit(wallets, wid, 0, asset="EUR/2", pending=True), 400, "VALIDATION")
    assert_error(await debit(wallets, wid, 1, balances=["ghost"]), 400, "VALIDATION", "ghost")
    assert_error(await debit(wallets, wid, 1, pending=True, timestamp="2024-01-01T00:00:00Z"),
                 400, "VALIDATION", "timestamp")
    assert_error(await debit(wallets, wid, 1, destination={"type": "ACCOUNT",
                                                            "identifier": "bad address"}),
                 400, "VALIDATION", "invalid account")
    assert len(await ledger_transactions(wallets)) == count


async def test_debit_all_balances_in_formance_order(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    now = datetime.now(UTC)
    for name, body in (
        ("soon", {"expiresAt": _iso(now + timedelta(hours=1))}),
        ("later", {"expiresAt": _iso(now + timedelta(days=2))}),
        ("low", {"priority": 1}),
        ("high", {"priority": 9}),
        ("gone", {"expiresAt": _iso(now + timedelta(seconds=1))}),
    ):
        r = await wallets.post(f"{W}/wallets/{wid}/balances", json={"name": name, **body})
        assert r.status_code == 201, r.text
    for name in ("soon", "later", "low", "high", "gone", "main"):
        assert (await credit(wallets, wid, 10, balance=name)).status_code == 204
    import asyncio

    await asyncio.sleep(1.2)  # let "gone" expire

    r = await debit(wallets, wid, 45, balances=["*"])
    assert r.status_code == 204, r.text
    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [
        (account(wid, "soon"), "world", 10, "USD/2"),
        (account(wid, "later"), "world", 10, "USD/2"),
        (account(wid, "high"), "world", 10, "USD/2"),
        (account(wid, "low"), "world", 10, "USD/2"),
        (account(wid, "main"), "world", 5, "USD/2"),
    ]
    # The expired balance is never debited, even when listed by name.
    assert_error(await debit(wallets, wid, 1, balances=["gone"]), 400, "INSUFFICIENT_FUND",
                 "expired")
    # Idempotency keys are refused where the sources could change between retries.
    assert_error(await debit(wallets, wid, 1, balances=["*"], headers={"Idempotency-Key": key()}),
                 400, "VALIDATION", "Idempotency-Key")

    r = await wallets.get(f"{W}/wallets/{wid}/summary")
    assert r.status_code == 200
    summary = r.json()["data"]
    assert summary["availableFunds"] == {"USD/2": 5}
    assert summary["expiredFunds"] == {"USD/2": 10}
    assert summary["expirableFunds"] == {"USD/2": 0}
    assert summary["holdFunds"] == {}
    assert {b["name"] for b in summary["balances"]} == {"soon", "later", "low", "high", "gone",
                                                         "main"}


async def test_debit_idempotency(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    await credit(wallets, wid, 100)
    ik = {"Idempotency-Key": key()}
    assert (await debit(wallets, wid, 10, headers=ik)).status_code == 204
    assert (await debit(wallets, wid, 10, headers=ik)).status_code == 204
    assert await ledger_balance(wallets, account(wid)) == 90
    assert len(await ledger_transactions(wallets)) == 2


async def test_summary_and_transactions(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    other = await create_wallet(wallets, "other")
    await credit(wallets, wid, 100)
    await credit(wallets, other, 7)
    r = await debit(wallets, wid, 30, pending=True)
    assert r.status_code == 201, r.text
    r = await wallets.get(f"{W}/wallets/{wid}/summary")
    summary = r.json()["data"]
    assert summary["availableFunds"] == {"USD/2": 70}
    assert summary["holdFunds"] == {"USD/2": 30}
    assert summary["balances"] == [{"name": "main", "assets": {"USD/2": 70}}]

    # A transaction made directly on the ledger is not a wallets transaction.
    r = await wallets.post(f"/api/ledger/v2/{LEDGER}/transactions", json={
        "postings": [{"source": "world", "destination": "elsewhere", "amount": 1,
                      "asset": "USD/2"}]})
    assert r.status_code == 200, r.text
    r = await wallets.get(f"{W}/transactions")
    assert r.status_code == 200
    data = r.json()["cursor"]["data"]
    assert len(data) == 3
    assert all(t["metadata"]["wallets/transaction"] == "true" for t in data)
    assert all(t["ledger"] == LEDGER for t in data)
    r = await wallets.get(f"{W}/transactions", params={"walletID": wid})
    data = r.json()["cursor"]["data"]
    assert len(data) == 2
    assert all(any(account(wid) in (p["source"], p["destination"]) for p in t["postings"])
               for t in data)
    r = await wallets.get(f"{W}/transactions", params={"pageSize": 1})
    cursor = r.json()["cursor"]
    assert cursor["hasMore"] and len(cursor["data"]) == 1
    r = await wallets.get(f"{W}/transactions", params={"cursor": cursor["next"]})
    assert len(r.json()["cursor"]["data"]) == 1
