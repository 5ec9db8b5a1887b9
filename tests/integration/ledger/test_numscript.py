"""Numscript through POST /v2/{ledger}/transactions: the interpreter of domain/numscript reading
balances and metadata from the ledger's writer, and what the ledger makes of its result."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg
import httpx

from tests.integration.ledger.helpers import (
    BASE,
    VOLUMES_NOT_MATCHING_MOVES_SQL,
    assert_error,
    create_ledger,
    posting,
    send,
)


async def run(client: httpx.AsyncClient, ledger: str, plain: str,
              vars: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
    params = extra.pop("params", None)
    body = {"script": {"plain": plain, "vars": vars or {}}, **extra}
    return await client.post(f"{BASE}/{ledger}/transactions", json=body, params=params)


def postings_of(r: httpx.Response) -> list[tuple[str, str, int, str]]:
    assert r.status_code == 200, r.text
    return [(p["source"], p["destination"], p["amount"], p["asset"])
            for p in r.json()["data"]["postings"]]


async def balances(client: httpx.AsyncClient, ledger: str, address: str) -> dict[str, int]:
    r = await client.get(f"{BASE}/{ledger}/accounts/{address}", params={"expand": "volumes"})
    assert r.status_code == 200, r.text
    return {a: v["balance"] for a, v in (r.json()["data"].get("volumes") or {}).items()}


async def fund(client: httpx.AsyncClient, ledger: str, address: str, amount: int,
               asset: str = "USD/2") -> None:
    r = await send(client, ledger, posting("world", address, amount, asset))
    assert r.status_code == 200, r.text


async def test_vars_of_every_type(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    plain = """
vars {
  monetary $amount
  account $dest
  portion $fee
  string $note
  number $count
}
send $amount (
  source = @world
  destination = {
    $fee to @fees
    remaining to $dest
  }
)
set_tx_meta("note", $note)
set_tx_meta("count", $count)
"""
    r = await run(client, ledger, plain, {"amount": "USD/2 1000", "dest": "users:1",
                                          "fee": "10%", "note": "hello", "count": "42"})
    assert postings_of(r) == [("world", "fees", 100, "USD/2"),
                              ("world", "users:1", 900, "USD/2")]
    data = r.json()["data"]
    assert data["metadata"] == {"note": "hello", "count": "42"}
    assert data["postCommitVolumes"]["users:1"]["USD/2"] == {
        "input": 900, "output": 0, "balance": 900}
    assert await balances(client, ledger, "users:1") == {"USD/2": 900}
    # The transaction as stored is the one the script produced.
    stored = (await client.get(f"{BASE}/{ledger}/transactions/{data['id']}")).json()["data"]
    assert stored["postings"] == data["postings"]
    assert stored["metadata"] == data["metadata"]


async def test_meta_and_balance_origins_read_the_ledger(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    await fund(client, ledger, "users:1", 700)
    r = await client.post(f"{BASE}/{ledger}/accounts/users:1/metadata",
                          json={"wallet": "wallets:blue", "share": "1/4"})
    assert r.status_code == 204, r.text
    plain = """
vars {
  account $target = meta(@users:1, "wallet")
  portion $share = meta(@users:1, "share")
  monetary $all = balance(@users:1, USD/2)
}
send $all (
  source = @users:1
  destination = {
    $share to $target
    remaining to @users:2
  }
)
"""
    r = await run(client, ledger, plain)
    assert postings_of(r) == [("users:1", "wallets:blue", 175, "USD/2"),
                              ("users:1", "users:2", 525, "USD/2")]
    assert await balances(client, ledger, "users:1") == {"USD/2": 0}
    assert await balances(client, ledger, "wallets:blue") == {"USD/2": 175}


async def test_in_order_sources_with_caps_and_allotments(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    await fund(client, ledger, "a", 300)
    await fund(client, ledger, "b", 500)
    await fund(client, ledger, "c", 1000)
    plain = """
send [USD/2 900] (
  source = {
    max [USD/2 200] from @a
    @b
    @c
  }
  destination = {
    1/3 to @x
    50% to @y
    remaining to @z
  }
)
"""
    r = await run(client, ledger, plain)
    moves = postings_of(r)
    assert sum(m[2] for m in moves) == 900
    taken: dict[str, int] = {}
    given: dict[str, int] = {}
    for src, dst, amt, _ in moves:
        taken[src] = taken.get(src, 0) + amt
        given[dst] = given.get(dst, 0) + amt
    assert taken == {"a": 200, "b": 500, "c": 200}
    assert given == {"x": 300, "y": 450, "z": 150}
    assert await balances(client, ledger, "a") == {"USD/2": 100}
    assert await balances(client, ledger, "c") == {"USD/2": 800}


async def test_send_all(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    await fund(client, ledger, "users:1", 1234)
    r = await run(client, ledger, "send [USD/2 *] (\n  source = @users:1\n"
                  "  destination = @users:2\n)\n")
    assert postings_of(r) == [("users:1", "users:2", 1234, "USD/2")]
    assert await balances(client, ledger, "users:1") == {"USD/2": 0}


async def test_tx_meta_merges_with_request_metadata(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    plain = 'send [COIN 1] (source = @world destination = @a)\nset_tx_meta("from", "script")\n'
    r = await run(client, ledger, plain, metadata={"from_request": "yes"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["metadata"] == {"from": "script", "from_request": "yes"}

    r = await run(client, ledger, plain, metadata={"from": "request"})
    assert_error(r, 400, "METADATA_OVERRIDE")
    assert "from" in r.json()["errorMessage"]
    stats = (await client.get(f"{BASE}/{ledger}/stats")).json()["data"]
    assert stats["transactions"] == 1


async def test_set_account_meta(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    plain = """
vars { account $user }
send [COIN 5] (source = @world destination = $user)
set_account_meta($user, "tier", "gold")
set_account_meta(@audit, "seen", "yes")
"""
    r = await run(client, ledger, plain, {"user": "users:9"},
                  accountMetadata={"users:9": {"region": "eu"}})
    assert r.status_code == 200, r.text
    user = (await client.get(f"{BASE}/{ledger}/accounts/users:9")).json()["data"]
    assert user["metadata"] == {"tier": "gold", "region": "eu"}
    audit = await client.get(f"{BASE}/{ledger}/accounts/audit")
    assert audit.status_code == 200, audit.text
    assert audit.json()["data"]["metadata"] == {"seen": "yes"}
    logs = (await client.get(f"{BASE}/{ledger}/logs")).json()["cursor"]["data"]
    assert logs[0]["data"]["accountMetadata"]["users:9"] == {"tier": "gold", "region": "eu"}


async def test_insufficient_funds(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    await fund(client, ledger, "users:1", 50)
    r = await run(client, ledger, "send [USD/2 51] (source = @users:1 destination = @b)")
    assert_error(r, 400, "INSUFFICIENT_FUND")
    assert await balances(client, ledger, "users:1") == {"USD/2": 50}
    # A bounded overdraft extends what the source may give, and no further.
    plain = ("send [USD/2 80] (source = @users:1 allowing overdraft up to [USD/2 30] "
             "destination = @b)")
    assert (await run(client, ledger, plain)).status_code == 200
    assert await balances(client, ledger, "users:1") == {"USD/2": -30}


async def test_force_does_not_change_a_scripts_rules(client: httpx.AsyncClient) -> None:
    # Formance applies `force` only to postings (as unbounded overdraft on each source); a
    # script states its own overdraft rules, and those hold with or without the flag.
    ledger = await create_ledger(client)
    plain = "send [USD/2 10] (source = @users:1 destination = @b)"
    assert_error(await run(client, ledger, plain, force=True), 400, "INSUFFICIENT_FUND")
    assert_error(await run(client, ledger, plain, params={"force": "true"}), 400,
                 "INSUFFICIENT_FUND")
    plain = "send [USD/2 10] (source = @users:1 allowing unbounded overdraft destination = @b)"
    assert (await run(client, ledger, plain)).status_code == 200
    assert await balances(client, ledger, "users:1") == {"USD/2": -10}


async def test_compilation_failures_name_the_position(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    r = await run(client, ledger, "send [USD/2 10] (\n  source = @world\n  destination = \n)")
    assert_error(r, 400, "COMPILATION_FAILED")
    assert "4:" in r.json()["errorMessage"], r.text

    r = await run(client, ledger, "vars { monetary $m }\nsend $m (source=@world destination=@a)")
    assert_error(r, 400, "COMPILATION_FAILED")  # a missing variable
    r = await run(client, ledger, "vars { monetary $m }\nsend $m (source=@world destination=@a)",
                  {"m": "not money"})
    assert_error(r, 400, "COMPILATION_FAILED")
    r = await run(client, ledger, "send [USD/2 10] (source = @world destination = $nope)")
    assert_error(r, 400, "COMPILATION_FAILED")
    assert "1:" in r.json()["errorMessage"], r.text
    stats = (await client.get(f"{BASE}/{ledger}/stats")).json()["data"]
    assert stats == {"accounts": 0, "transactions": 0}


async def test_a_program_without_postings(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    assert_error(await run(client, ledger, 'set_tx_meta("k", "v")'), 400, "NO_POSTINGS")
    # Sending everything of an empty account moves nothing.
    r = await run(client, ledger, "send [USD/2 *] (source = @empty destination = @b)")
    assert_error(r, 400, "NO_POSTINGS")


async def test_both_runtimes_are_accepted_and_others_refused(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    plain = "send [COIN 3] (source = @world destination = @a)"
    for runtime in ("experimental-interpreter", "machine"):
        r = await run(client, ledger, plain, runtime=runtime)
        assert postings_of(r) == [("world", "a", 3, "COIN")]
    assert_error(await run(client, ledger, plain, runtime="wasm"), 400, "VALIDATION")


async def test_script_and_postings_together_are_refused(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    r = await client.post(f"{BASE}/{ledger}/transactions", json={
        "postings": [posting("world", "a", 1)],
        "script": {"plain": "send [USD 1] (source = @world destination = @a)", "vars": {}},
    })
    assert_error(r, 400, "VALIDATION")


async def test_dry_run_reference_and_idempotency(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    await fund(client, ledger, "users:1", 200)
    plain = "send [USD/2 60] (source = @users:1 destination = @b)"
    r = await run(client, ledger, plain, params={"dryRun": "true"})
    assert postings_of(r) == [("users:1", "b", 60, "USD/2")]
    assert await balances(client, ledger, "users:1") == {"USD/2": 200}

    body = {"script": {"plain": plain, "vars": {}}, "reference": "ref-1",
            "timestamp": "2024-01-01T00:00:00Z"}
    first = await client.post(f"{BASE}/{ledger}/transactions", json=body,
                              headers={"Idempotency-Key": "k1"})
    assert first.status_code == 200, first.text
    again = await client.post(f"{BASE}/{ledger}/transactions", json=body,
                              headers={"Idempotency-Key": "k1"})
    assert again.status_code == 200, again.text
    assert again.headers.get("Idempotency-Hit") == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    dup = await client.post(f"{BASE}/{ledger}/transactions", json=body)
    assert_error(dup, 409, "CONFLICT")
    assert await balances(client, ledger, "users:1") == {"USD/2": 140}


async def test_script_in_bulk(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    script = {"plain": "vars { account $to }\nsend [EUR 7] (source = @world destination = $to)",
              "vars": {"to": "users:1"}}
    r = await client.post(f"{BASE}/{ledger}/_bulk", params={"atomic": "true"}, json=[
        {"action": "CREATE_TRANSACTION", "data": {"script": script}},
        {"action": "CREATE_TRANSACTION", "data": {"script": {
            "plain": "send [EUR 7] (source = @users:1 destination = @users:2)"}}},
    ])
    assert r.status_code == 200, r.text
    assert [e["responseType"] for e in r.json()["data"]] == ["CREATE_TRANSACTION"] * 2
    assert await balances(client, ledger, "users:2") == {"EUR": 7}


async def test_concurrent_scripts_never_overdraw(client: httpx.AsyncClient,
                                                 database_url: str) -> None:
    ledger = await create_ledger(client)
    accounts = [f"users:{i}" for i in range(5)]
    for account in accounts:
        await fund(client, ledger, account, 100)
    rng = random.Random(7)
    plain = """
vars {
  account $a
  account $b
  monetary $m
}
send $m (
  source = { $a $b }
  destination = {
    50% to @pool
    remaining to @users:0
  }
)
"""

    async def one() -> int:
        a, b = rng.sample(accounts, 2)
        r = await run(client, ledger, plain, {"a": a, "b": b, "m": f"USD/2 {rng.randint(1, 90)}"})
        assert r.status_code in (200, 400), r.text
        if r.status_code == 400:
            assert r.json()["errorCode"] == "INSUFFICIENT_FUND", r.text
        return r.status_code

    statuses = await asyncio.gather(*(one() for _ in range(60)))
    assert 200 in statuses and 400 in statuses

    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        negative = await conn.fetch(
            "SELECT address, input - output AS b FROM accounts_volumes "
            "WHERE ledger = $1 AND address <> 'world' AND input - output < 0", ledger)
        assert negative == []
        total = await conn.fetchval(
            "SELECT sum(input - output) FROM accounts_volumes WHERE ledger = $1", ledger)
        assert total == 0
        mismatched = await conn.fetchval(VOLUMES_NOT_MATCHING_MOVES_SQL, ledger)
        assert mismatched == 0
    finally:
        await conn.close()
