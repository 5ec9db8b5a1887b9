"""Helpers of the wallets HTTP tests: request shortcuts and the ledger's view of the money."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

LEDGER = "wallets-002"
W = "/api/wallets"


def key() -> str:
    """Idempotency keys unique across the session: hold ids (and so hold workflow ids on the
    shared dev server) derive from them."""
    return f"ik-{uuid.uuid4()}"


def account(wallet_id: str, balance: str = "main") -> str:
    return f"wallets:{wallet_id.replace('-', '')}:{balance}"


def hold_account(hold_id: str) -> str:
    return f"wallets:holds:{hold_id.replace('-', '')}"


async def create_wallet(c: httpx.AsyncClient, name: str = "w",
                        metadata: dict[str, str] | None = None) -> str:
    r = await c.post(f"{W}/wallets", json={"name": name, "metadata": metadata or {}})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def credit(c: httpx.AsyncClient, wallet_id: str, amount: int, asset: str = "USD/2",
                 **extra: Any) -> httpx.Response:
    headers = extra.pop("headers", None)
    r = await c.post(f"{W}/wallets/{wallet_id}/credit",
                     json={"amount": {"asset": asset, "amount": amount}, **extra},
                     headers=headers)
    return r


async def debit(c: httpx.AsyncClient, wallet_id: str, amount: int, asset: str = "USD/2",
                **extra: Any) -> httpx.Response:
    headers = extra.pop("headers", None)
    body = {"amount": {"asset": asset, "amount": amount}, "metadata": {}, **extra}
    return await c.post(f"{W}/wallets/{wallet_id}/debit", json=body, headers=headers)


async def ledger_transactions(c: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every transaction of the wallets ledger, oldest first, as the ledger API shows them."""
    r = await c.get(f"/api/ledger/v2/{LEDGER}/transactions", params={"pageSize": 100})
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["cursor"]["data"]))


def postings(tx: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return [(p["source"], p["destination"], int(p["amount"]), p["asset"])
            for p in tx["postings"]]


async def ledger_balance(c: httpx.AsyncClient, address: str, asset: str = "USD/2") -> int:
    r = await c.get(f"/api/ledger/v2/{LEDGER}/accounts/{address}",
                    params={"expand": "volumes"})
    assert r.status_code == 200, r.text
    volumes = r.json()["data"].get("volumes") or {}
    return int(volumes.get(asset, {}).get("balance", 0))


def assert_error(r: httpx.Response, status: int, code: str, fragment: str = "") -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["errorCode"] == code, r.text
    assert fragment in body["errorMessage"], r.text
