"""Wallets read amounts with the stack's one amount parser (issue 14, point 7): `100.0` is
refused as the ledger refuses it, before anything is written; integers and digit strings pass."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.wallets.helpers import W, account, create_wallet, ledger_balance


def _amount_error(r: httpx.Response, fragment: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["errorCode"] == "VALIDATION", r.text
    assert "amount" in body["errorMessage"] and fragment in body["errorMessage"], r.text


@pytest.mark.parametrize("bad, fragment", [
    (100.0, "100.0"), (1e2, "100.0"), (2.5, "2.5"), ("1e2", "1e2"), (True, "boolean"),
    (-5, ">= 0"),
])
async def test_credit_and_debit_refuse_what_the_ledger_refuses(
        client: httpx.AsyncClient, bad: object, fragment: str) -> None:
    wid = await create_wallet(client)
    r = await client.post(f"{W}/wallets/{wid}/credit",
                          json={"amount": {"asset": "USD/2", "amount": bad}})
    _amount_error(r, fragment)
    r = await client.post(f"{W}/wallets/{wid}/debit",
                          json={"amount": {"asset": "USD/2", "amount": bad}})
    _amount_error(r, fragment)
    # The ledger answers the same value the same way (one parser for every module).
    r = await client.post("/api/ledger/v2/wallets-002/transactions", json={"postings": [
        {"source": "world", "destination": "x", "asset": "USD/2", "amount": bad}]})
    _amount_error(r, fragment)
    # Nothing was written.
    assert await ledger_balance(client, account(wid)) == 0


async def test_integers_and_digit_strings_are_amounts(client: httpx.AsyncClient) -> None:
    wid = await create_wallet(client)
    big = 10**30
    for amount in (100, "25", str(big)):
        r = await client.post(f"{W}/wallets/{wid}/credit",
                              json={"amount": {"asset": "USD/2", "amount": amount}})
        assert r.status_code == 204, r.text
    assert await ledger_balance(client, account(wid)) == 125 + big


async def test_hold_confirmation_amount_uses_the_same_parser(client: httpx.AsyncClient) -> None:
    # Refused while reading the body, whatever the hold: no workflow is ever asked.
    r = await client.post(f"{W}/holds/00000000-0000-0000-0000-000000000000/confirm",
                          json={"amount": 15.0})
    _amount_error(r, "15.0")
