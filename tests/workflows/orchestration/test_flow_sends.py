"""`send` stages over HTTP with the real worker and ledger: world -> account, account ->
account across ledgers (through accounts), account -> wallet and wallet -> account, named
wallets, variables, and a failing send that fails the instance with its error, each recorded
in the instance's statuses and stage history."""

from __future__ import annotations

from typing import Any

from tests.workflows.orchestration.flow_env import V2, Flows


def send(source: dict[str, Any], destination: dict[str, Any], amount: Any,
         **extra: Any) -> dict[str, Any]:
    return {"send": {"source": source, "destination": destination,
                     "amount": {"asset": "USD/2", "amount": amount}, **extra}}


async def test_world_to_account_then_across_ledgers(flows: Flows) -> None:
    main, other = await flows.ledger("main"), await flows.ledger("other")
    flow = await flows.flow(
        send({"account": {"id": "world", "ledger": main}},
             {"account": {"id": "users:${user}", "ledger": main}}, "${amount}",
             metadata={"order": "${order}"}),
        send({"account": {"id": "users:${user}", "ledger": main,
                          "throughAccount": "bridge:out"}},
             {"account": {"id": "users:${user}", "ledger": other,
                          "throughAccount": "bridge:in", "allowOverdraft": True}}, 40),
        name="fund and move")
    instance = await flows.run(flow, {"user": "1", "amount": "100", "order": "o-1"})
    assert instance["terminated"] is True and "error" not in instance, instance
    assert [s["stage"] for s in instance["status"]] == [0, 1]
    assert all("terminatedAt" in s and "error" not in s for s in instance["status"])
    assert await flows.balance(main, "users:1") == 60
    assert await flows.balance(main, "bridge:out") == 40
    assert await flows.balance(other, "users:1") == 40
    assert await flows.balance(other, "bridge:in") == -40

    r = await flows.http.get(f"/api/ledger/v2/{other}/transactions")
    tx = r.json()["cursor"]["data"][0]
    assert tx["metadata"]["orchestration/move-from-ledger"] == main

    r = await flows.http.get(f"{V2}/instances/{instance['id']}/history")
    history = r.json()["data"]
    assert [h["name"] for h in history] == ["RunSend", "RunSend"]
    assert history[0]["input"]["destination"]["account"]["id"] == "users:1"
    assert history[0]["input"]["metadata"] == {"order": "o-1"}
    r = await flows.http.get(f"{V2}/instances/{instance['id']}/stages/1/history")
    steps = r.json()["data"]
    assert [s["name"] for s in steps] == ["CreateTransaction", "CreateTransaction"]
    assert steps[0]["input"]["CreateTransaction"]["ledger"] == main
    assert steps[1]["input"]["CreateTransaction"]["ledger"] == other
    assert all(s["terminated"] and s["attempt"] == 1 for s in steps)
    (moved,) = steps[1]["output"]["CreateTransaction"]["data"]
    assert moved["postings"] == [{"source": "bridge:in", "destination": "users:1",
                                  "amount": 40, "asset": "USD/2"}]
    assert isinstance(moved["txid"], int)
    await flows.record(instance["id"], "send_across_ledgers")


async def test_account_to_wallet_and_named_wallet_to_account(flows: Flows) -> None:
    main = await flows.ledger("main")
    alice = await flows.wallet("alice")
    flow = await flows.flow(
        send({"account": {"id": "world", "ledger": main}}, {"wallet": {"id": alice}}, 70),
        send({"wallet": {"name": "alice"}}, {"account": {"id": "payouts:1", "ledger": main}},
             30))
    instance = await flows.run(flow)
    assert "error" not in instance, instance
    assert await flows.wallet_balance(alice) == 40
    assert await flows.balance(main, "payouts:1") == 30
    r = await flows.http.get(f"{V2}/instances/{instance['id']}/stages/1/history")
    assert [s["name"] for s in r.json()["data"]] == ["ListWallets", "DebitWallet",
                                                      "CreateTransaction"]


async def test_failing_send_fails_the_instance_with_its_error(flows: Flows) -> None:
    main = await flows.ledger("main")
    flow = await flows.flow(
        send({"account": {"id": "empty:1", "ledger": main}},
             {"account": {"id": "users:1", "ledger": main}}, 10),
        {"noop": {}})
    instance = await flows.run(flow)
    assert instance["terminated"] is True
    assert "insufficient" in instance["error"].lower(), instance
    assert len(instance["status"]) == 1  # the stage after the failing one never ran
    assert instance["status"][0]["error"] == instance["error"]
    r = await flows.http.get(f"{V2}/instances/{instance['id']}/stages/0/history")
    (step,) = r.json()["data"]
    assert step["name"] == "CreateTransaction" and step["error"].startswith("INSUFFICIENT_FUND")
    assert await flows.balance(main, "users:1") == 0
    await flows.record(instance["id"], "send_fails")


async def test_a_variable_that_does_not_convert_fails_its_stage(flows: Flows) -> None:
    main = await flows.ledger("main")
    flow = await flows.flow(send({"account": {"id": "world", "ledger": main}},
                                 {"account": {"id": "users:1", "ledger": main}}, "${amount}"))
    instance = await flows.run(flow, {"amount": "lots"})
    assert "amount.amount: 'lots' is not a non-negative integer" in instance["error"]
    assert await flows.balance(main, "users:1") == 0
