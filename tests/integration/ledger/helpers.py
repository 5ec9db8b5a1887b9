from __future__ import annotations

from typing import Any

import httpx

BASE = "/api/ledger/v2"


async def create_ledger(client: httpx.AsyncClient, name: str = "main", **body: Any) -> str:
    r = await client.post(f"{BASE}/{name}", json=body)
    assert r.status_code == 204, r.text
    return name


def posting(src: str, dst: str, amount: int | str, asset: str = "USD") -> dict[str, Any]:
    return {"source": src, "destination": dst, "amount": amount, "asset": asset}


async def send(client: httpx.AsyncClient, ledger: str, *postings: dict[str, Any],
               **extra: Any) -> httpx.Response:
    headers = extra.pop("headers", None)
    params = extra.pop("params", None)
    return await client.post(f"{BASE}/{ledger}/transactions",
                             json={"postings": list(postings), **extra},
                             headers=headers, params=params)


def assert_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["errorCode"] == code, r.text
    assert r.json()["errorMessage"]


# Rows of accounts_volumes whose input/output differ from the sum of their moves (should be 0).
VOLUMES_NOT_MATCHING_MOVES_SQL = """
    SELECT count(*) FROM accounts_volumes v
    LEFT JOIN (SELECT account_address, asset,
                      sum(CASE WHEN is_source THEN 0 ELSE amount END) i,
                      sum(CASE WHEN is_source THEN amount ELSE 0 END) o
               FROM moves WHERE ledger = $1 GROUP BY 1, 2) m
      ON m.account_address = v.address AND m.asset = v.asset
    WHERE v.ledger = $1 AND (v.input <> coalesce(m.i, 0) OR v.output <> coalesce(m.o, 0))
"""
