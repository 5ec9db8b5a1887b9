"""Holds over HTTP: each one is a `hold-<id>` workflow on the real Temporal dev server, and each
confirm or void is one ledger transaction, checked through the ledger API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.integration.wallets.helpers import (
    W,
    account,
    assert_error,
    create_wallet,
    credit,
    debit,
    hold_account,
    key,
    ledger_balance,
    ledger_transactions,
    postings,
)


async def _funded_hold(c: httpx.AsyncClient, amount: int = 60, funds: int = 100,
                       **extra: Any) -> tuple[str, dict[str, Any]]:
    wid = await create_wallet(c)
    assert (await credit(c, wid, funds)).status_code == 204
    r = await debit(c, wid, amount, pending=True, **extra)
    assert r.status_code == 201, r.text
    return wid, r.json()["data"]


async def _hold(c: httpx.AsyncClient, hold_id: str) -> dict[str, Any]:
    r = await c.get(f"{W}/holds/{hold_id}")
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def test_pending_debit_creates_a_hold(wallets: httpx.AsyncClient) -> None:
    wid, hold = await _funded_hold(
        wallets, description="pre-auth", metadata={"order": "7"},
        destination={"type": "ACCOUNT", "identifier": "merchant:1"})
    assert hold["walletID"] == wid and hold["asset"] == "USD/2"
    assert hold["description"] == "pre-auth" and hold["metadata"] == {"order": "7"}
    assert hold["destination"] == {"type": "ACCOUNT", "identifier": "merchant:1"}

    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [(account(wid), hold_account(hold["id"]), 60, "USD/2")]
    r = await wallets.get(f"/api/ledger/v2/wallets-002/accounts/{hold_account(hold['id'])}")
    md = r.json()["data"]["metadata"]
    assert md["wallets/spec/type"] == "wallets.hold"
    assert md["wallets/holds/wallet_id"] == wid and md["wallets/holds/id"] == hold["id"]
    assert md["wallets/holds/asset"] == "USD/2"
    assert md["wallets/holds/description"] == "pre-auth"
    assert md["destination"] == '{"type": "account", "value": "merchant:1"}'
    assert md["void_destination"] == f'{{"type": "account", "value": "{account(wid)}"}}'
    assert md["wallets/custom_data_order"] == "7"

    got = await _hold(wallets, hold["id"])
    assert got["remaining"] == 60 and got["originalAmount"] == 60
    r = await wallets.get(f"{W}/holds", params={"walletID": wid})
    assert [h["id"] for h in r.json()["cursor"]["data"]] == [hold["id"]]
    r = await wallets.get(f"{W}/holds", params={"metadata[order]": "8"})
    assert r.json()["cursor"]["data"] == []
    assert_error(await wallets.get(f"{W}/holds/{'0' * 32}"), 404, "NOT_FOUND", "hold")


async def test_partial_then_final_confirm(wallets: httpx.AsyncClient) -> None:
    wid, hold = await _funded_hold(wallets, destination={"type": "ACCOUNT",
                                                         "identifier": "merchant:1"})
    hid = hold["id"]
    r = await wallets.post(f"{W}/holds/{hid}/confirm", json={"amount": 15})
    assert r.status_code == 204, r.text
    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [(hold_account(hid), "merchant:1", 15, "USD/2")]
    assert tx["metadata"]["wallets/transaction"] == "true"
    assert (await _hold(wallets, hid))["remaining"] == 45

    assert_error(await wallets.post(f"{W}/holds/{hid}/confirm", json={"amount": 46}),
                 400, "INSUFFICIENT_FUND", "only 45 remains")
    assert_error(await wallets.post(f"{W}/holds/{hid}/confirm", json={"amount": -1}),
                 400, "VALIDATION", "amount")

    # Final: 20 to the merchant, the 25 left back to the wallet, in one transaction.
    r = await wallets.post(f"{W}/holds/{hid}/confirm", json={"amount": 20, "final": True})
    assert r.status_code == 204, r.text
    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [(hold_account(hid), "merchant:1", 20, "USD/2"),
                            (hold_account(hid), account(wid), 25, "USD/2")]
    assert await ledger_balance(wallets, account(wid)) == 65
    assert await ledger_balance(wallets, "merchant:1") == 35
    assert (await _hold(wallets, hid))["remaining"] == 0

    count = len(await ledger_transactions(wallets))
    assert_error(await wallets.post(f"{W}/holds/{hid}/confirm", json={}), 400, "HOLD_CLOSED")
    assert_error(await wallets.post(f"{W}/holds/{hid}/void"), 400, "HOLD_CLOSED")
    assert len(await ledger_transactions(wallets)) == count


async def test_confirm_everything_without_a_body(wallets: httpx.AsyncClient) -> None:
    wid, hold = await _funded_hold(wallets, amount=40)
    r = await wallets.post(f"{W}/holds/{hold['id']}/confirm")
    assert r.status_code == 204, r.text
    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [(hold_account(hold["id"]), "world", 40, "USD/2")]
    assert await ledger_balance(wallets, account(wid)) == 60


async def test_void_returns_money_to_the_original_sources(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    r = await wallets.post(f"{W}/wallets/{wid}/balances", json={"name": "bonus", "priority": 5})
    assert r.status_code == 201
    await credit(wallets, wid, 30, balance="bonus")
    await credit(wallets, wid, 100)
    r = await debit(wallets, wid, 50, pending=True, balances=["bonus", "main"])
    assert r.status_code == 201, r.text
    hid = r.json()["data"]["id"]
    assert (await wallets.post(f"{W}/holds/{hid}/confirm", json={"amount": 10})).status_code \
        == 204
    r = await wallets.post(f"{W}/holds/{hid}/void")
    assert r.status_code == 204, r.text
    tx = (await ledger_transactions(wallets))[-1]
    # 40 remain: back to bonus first (it gave 30), then main.
    assert postings(tx) == [(hold_account(hid), account(wid, "bonus"), 30, "USD/2"),
                            (hold_account(hid), account(wid), 10, "USD/2")]
    assert (await _hold(wallets, hid))["remaining"] == 0
    assert await ledger_balance(wallets, account(wid, "bonus")) == 30
    assert await ledger_balance(wallets, account(wid)) == 90  # gave 20, got 10 back
    assert_error(await wallets.post(f"{W}/holds/{hid}/void"), 400, "HOLD_CLOSED")


async def test_confirm_and_void_race_exactly_one_wins(wallets: httpx.AsyncClient) -> None:
    for _ in range(3):
        wid, hold = await _funded_hold(wallets)
        hid = hold["id"]
        before = len(await ledger_transactions(wallets))
        confirm, void = await asyncio.gather(
            wallets.post(f"{W}/holds/{hid}/confirm", json={}),
            wallets.post(f"{W}/holds/{hid}/void"),
        )
        statuses = sorted([confirm.status_code, void.status_code])
        assert statuses == [204, 400], (confirm.text, void.text)
        loser = confirm if confirm.status_code == 400 else void
        assert_error(loser, 400, "HOLD_CLOSED", "closed")
        after = await ledger_transactions(wallets)
        assert len(after) == before + 1  # the money moved once
        winner_postings = postings(after[-1])
        if confirm.status_code == 204:
            assert winner_postings == [(hold_account(hid), "world", 60, "USD/2")]
            assert await ledger_balance(wallets, account(wid)) == 40
        else:
            assert winner_postings == [(hold_account(hid), account(wid), 60, "USD/2")]
            assert await ledger_balance(wallets, account(wid)) == 100
        assert await ledger_balance(wallets, hold_account(hid)) == 0


async def test_concurrent_partial_confirms_are_serialised(wallets: httpx.AsyncClient) -> None:
    _, hold = await _funded_hold(wallets, amount=50)
    hid = hold["id"]
    results = await asyncio.gather(*(
        wallets.post(f"{W}/holds/{hid}/confirm", json={"amount": 10}) for _ in range(6)))
    assert sorted(r.status_code for r in results) == [204] * 5 + [400]
    assert (await _hold(wallets, hid))["remaining"] == 0
    assert await ledger_balance(wallets, hold_account(hid)) == 0


async def test_hold_expiry_voids_it(wallets: httpx.AsyncClient) -> None:
    expires = (datetime.now(UTC) + timedelta(seconds=2)).isoformat().replace("+00:00", "Z")
    wid, hold = await _funded_hold(wallets, amount=25, expiresAt=expires)
    assert (await _hold(wallets, hold["id"]))["remaining"] == 25
    for _ in range(100):
        await asyncio.sleep(0.1)
        if (await _hold(wallets, hold["id"]))["remaining"] == 0:
            break
    assert (await _hold(wallets, hold["id"]))["remaining"] == 0
    tx = (await ledger_transactions(wallets))[-1]
    assert postings(tx) == [(hold_account(hold["id"]), account(wid), 25, "USD/2")]
    assert await ledger_balance(wallets, account(wid)) == 100
    assert_error(await wallets.post(f"{W}/holds/{hold['id']}/confirm"), 400, "HOLD_CLOSED")
    assert_error(await debit(wallets, wid, 1, expiresAt=expires), 400, "VALIDATION",
                 "pending")


async def test_hold_idempotency(wallets: httpx.AsyncClient) -> None:
    wid = await create_wallet(wallets)
    await credit(wallets, wid, 100)
    ik = {"Idempotency-Key": key()}
    first = await debit(wallets, wid, 30, pending=True, headers=ik)
    again = await debit(wallets, wid, 30, pending=True, headers=ik)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    hid = first.json()["data"]["id"]
    assert await ledger_balance(wallets, account(wid)) == 70

    confirm_key = {"Idempotency-Key": key()}
    for _ in range(2):  # the retry attaches to the first update: one confirmation
        r = await wallets.post(f"{W}/holds/{hid}/confirm", json={"amount": 10},
                               headers=confirm_key)
        assert r.status_code == 204, r.text
    assert (await _hold(wallets, hid))["remaining"] == 20

    void_key = {"Idempotency-Key": key()}
    for _ in range(2):  # the retry of the action that closed the hold answers as the first
        r = await wallets.post(f"{W}/holds/{hid}/void", headers=void_key)
        assert r.status_code == 204, r.text
    assert await ledger_balance(wallets, account(wid)) == 90
    assert_error(await wallets.post(f"{W}/holds/{hid}/void", headers={"Idempotency-Key": key()}),
                 400, "HOLD_CLOSED")


async def test_a_hold_whose_workflow_was_terminated_still_works(
        wallets: httpx.AsyncClient, temporal_env: Any) -> None:
    wid, hold = await _funded_hold(wallets)
    handle = temporal_env.client.get_workflow_handle(f"hold-{hold['id']}")
    await handle.terminate("operator mistake")
    # The next action starts a new run from what the ledger holds.
    r = await wallets.post(f"{W}/holds/{hold['id']}/confirm", json={"amount": 10})
    assert r.status_code == 204, r.text
    assert (await _hold(wallets, hold["id"]))["remaining"] == 50
    r = await wallets.post(f"{W}/holds/{hold['id']}/void")
    assert r.status_code == 204, r.text
    assert await ledger_balance(wallets, account(wid)) == 90
