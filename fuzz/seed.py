"""Data the fuzzing starts from: a ledger whose accounts hold what the Numscript conformance
programs spend, a few wallets, webhooks and ledgers, and a real cursor from every list that can
give one (the cursor strategy mutates them)."""

from __future__ import annotations

from pathlib import Path

import httpx

from fuzz.strategies import FUZZ_LEDGER, Seeds, load_programs

POSTINGS_PER_TRANSACTION = 20


def seed(base_url: str, token: str, testdata: Path | None) -> tuple[Seeds, list[str]]:
    """The seeds and what went wrong while making them (reported, never fatal: a fuzz run with
    fewer seeds is still a fuzz run)."""
    seeds = load_programs(testdata) if testdata and testdata.is_dir() else Seeds()
    problems: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:

        def call(method: str, path: str, **kwargs: object) -> httpx.Response | None:
            resp = http.request(method, path, **kwargs)  # type: ignore[arg-type]
            if resp.status_code >= 300:
                problems.append(f"{method} {path}: {resp.status_code} {resp.text[:200]}")
                return None
            return resp

        for name in (FUZZ_LEDGER, f"{FUZZ_LEDGER}-2"):
            call("POST", f"/api/ledger/v2/{name}", json={})
        balances = {("users:001", "USD/2"): 10**6, ("users:002", "COIN"): 10**6,
                    **seeds.balances}
        items = sorted(balances.items())
        for start in range(0, len(items), POSTINGS_PER_TRANSACTION):
            postings = [{"source": "world", "destination": account, "asset": asset,
                         "amount": amount}
                        for (account, asset), amount in items[start:start +
                                                              POSTINGS_PER_TRANSACTION]]
            if call("POST", f"/api/ledger/v2/{FUZZ_LEDGER}/transactions",
                    json={"postings": postings, "metadata": {"seed": str(start)}}) is None:
                # One bad address from the test data must not cost its whole chunk.
                for posting in postings:
                    call("POST", f"/api/ledger/v2/{FUZZ_LEDGER}/transactions",
                         json={"postings": [posting]})
        for i in range(2):
            call("POST", "/api/wallets/wallets", json={"name": f"fuzz-{i}", "metadata": {}})
            call("POST", "/api/webhooks/configs",
                 json={"endpoint": f"http://127.0.0.1:9/fuzz-{i}", "eventTypes": ["ledger.x"]})
        for path in (f"/api/ledger/v2/{FUZZ_LEDGER}/transactions",
                     f"/api/ledger/v2/{FUZZ_LEDGER}/accounts",
                     f"/api/ledger/v2/{FUZZ_LEDGER}/volumes", f"/api/ledger/v2/{FUZZ_LEDGER}/logs",
                     "/api/ledger/v2", f"/api/ledger/{FUZZ_LEDGER}/transactions",
                     f"/api/ledger/{FUZZ_LEDGER}/accounts", f"/api/ledger/{FUZZ_LEDGER}/logs",
                     "/api/wallets/wallets", "/api/wallets/transactions",
                     "/api/webhooks/configs", "/api/auth/clients"):
            resp = call("GET", path, params={"pageSize": 1})
            cursor = resp.json().get("cursor") if resp is not None else None
            if isinstance(cursor, dict) and isinstance(cursor.get("next"), str):
                seeds.cursors.append(cursor["next"])
    return seeds, problems
