"""Ledger write scenarios through the REST API (issue 9): each at several concurrency levels."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson

from bench.loadgen import RequestFactory, insufficient_funds, run_load

LEDGER = "bench"
ACCOUNTS = 100_000
FUNDED = 1_000


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    factory: Callable[[], RequestFactory]
    items_per_request: int = 1
    expected: Callable[[int, bytes], bool] | None = None


def _tx_path() -> str:
    return f"/api/ledger/v2/{LEDGER}/transactions"


def world_postings() -> RequestFactory:
    rnd = random.Random(1)

    def make(_: int) -> tuple[str, str, bytes]:
        body = {"postings": [{"source": "world", "destination": f"users:{rnd.randrange(ACCOUNTS)}",
                              "amount": 100, "asset": "USD/2"}]}
        return "POST", _tx_path(), orjson.dumps(body)
    return make


SCRIPT = ("vars {\n  account $dest\n}\n"
          "send [USD/2 100] (\n  source = @world\n  destination = $dest\n)\n")


def world_script() -> RequestFactory:
    rnd = random.Random(2)

    def make(_: int) -> tuple[str, str, bytes]:
        body = {"script": {"plain": SCRIPT, "vars": {"dest": f"users:{rnd.randrange(ACCOUNTS)}"}}}
        return "POST", _tx_path(), orjson.dumps(body)
    return make


def account_to_account() -> RequestFactory:
    rnd = random.Random(3)

    def make(_: int) -> tuple[str, str, bytes]:
        src, dst = rnd.sample(range(FUNDED), 2)
        body = {"postings": [{"source": f"funded:{src}", "destination": f"funded:{dst}",
                              "amount": 1, "asset": "USD/2"}]}
        return "POST", _tx_path(), orjson.dumps(body)
    return make


def hot_source() -> RequestFactory:
    rnd = random.Random(4)

    def make(_: int) -> tuple[str, str, bytes]:
        body = {"postings": [{"source": "hot:source",
                              "destination": f"users:{rnd.randrange(ACCOUNTS)}",
                              "amount": 1, "asset": "USD/2"}]}
        return "POST", _tx_path(), orjson.dumps(body)
    return make


def bulks() -> RequestFactory:
    rnd = random.Random(5)

    def make(_: int) -> tuple[str, str, bytes]:
        elements = [{"action": "CREATE_TRANSACTION", "data": {"postings": [
            {"source": "world", "destination": f"users:{rnd.randrange(ACCOUNTS)}",
             "amount": 100, "asset": "USD/2"}]}} for _ in range(100)]
        return "POST", f"/api/ledger/v2/{LEDGER}/_bulk", orjson.dumps(elements)
    return make


SCENARIOS = [
    Scenario("a", "postings from @world to 100k accounts", world_postings),
    Scenario("b", "same as a Numscript script", world_script),
    Scenario("c", "account to account with balance checks", account_to_account),
    Scenario("d", "single hot source account", hot_source, expected=insufficient_funds),
    Scenario("e", "bulks of 100 transactions", bulks, items_per_request=100),
]


def seed(base_url: str) -> None:
    """The ledger, funded accounts for (c) and a hot account for (d), through the API itself."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        resp = http.post(f"/api/ledger/v2/{LEDGER}", json={})
        assert resp.status_code in (204, 400), resp.text
        for start in range(0, FUNDED, 100):
            elements = [{"action": "CREATE_TRANSACTION", "data": {"postings": [
                {"source": "world", "destination": f"funded:{i}", "amount": 10**12,
                 "asset": "USD/2"}]}} for i in range(start, start + 100)]
            resp = http.post(f"/api/ledger/v2/{LEDGER}/_bulk", json=elements)
            assert resp.status_code == 200, resp.text[:300]
        resp = http.post(_tx_path(), json={"postings": [
            {"source": "world", "destination": "hot:source", "amount": 10**15, "asset": "USD/2"}]})
        assert resp.status_code == 200, resp.text


async def run_scenario(scenario: Scenario, port: int, connections: int,
                       duration_s: float) -> dict[str, object]:
    result = await run_load(
        "127.0.0.1", port, scenario.factory(), connections=connections, duration_s=duration_s,
        expected=scenario.expected or (lambda s, b: False),
        items_per_request=scenario.items_per_request,
    )
    return {"scenario": scenario.key, "title": scenario.title, "connections": connections,
            **result.summary()}
