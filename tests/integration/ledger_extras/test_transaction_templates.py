"""Transaction templates of a ledger schema, used through `POST /v2/{ledger}/transactions` with
`script.template`: the script comes from the schema version the write names (`schemaVersion`),
the caller gives the vars, and the transaction says which template wrote it."""

from __future__ import annotations

from typing import Any

import httpx

V2 = "/api/ledger/v2"
DEPOSIT = """vars {
  monetary $amount
  account $user
}
send $amount (
  source = @world
  destination = $user
)
set_tx_meta("kind", "deposit")
"""
SCHEMA: dict[str, Any] = {
    "chart": {"world": {}, "users": {"$id": {".pattern": "^[0-9]+$"}}, "bank": {}},
    "transactions": {
        "DEPOSIT": {"description": "money in", "script": DEPOSIT,
                    "runtime": "experimental-interpreter"},
        "TO_BANK": {"script": "vars { account $from }\n"
                              "send [USD 5] (source = $from destination = @bank)"},
    },
}
V1 = {"schemaVersion": "v1"}


async def setup(client: httpx.AsyncClient, ledger: str) -> None:
    assert (await client.post(f"{V2}/{ledger}", json={})).status_code == 204
    r = await client.post(f"{V2}/{ledger}/schemas/v1", json=SCHEMA)
    assert r.status_code == 204, r.text


def deposit(user: str = "users:1", amount: str = "USD 100") -> dict[str, Any]:
    return {"script": {"template": "DEPOSIT", "vars": {"amount": amount, "user": user}},
            "metadata": {"order": "7"}}


async def test_template_runs_the_schema_script(client: httpx.AsyncClient) -> None:
    await setup(client, "tpl")
    r = await client.post(f"{V2}/tpl/transactions", json=deposit(), params=V1)
    assert r.status_code == 200, r.text
    tx = r.json()["data"]
    assert tx["postings"] == [{"source": "world", "destination": "users:1", "amount": 100,
                               "asset": "USD"}]
    assert tx["metadata"] == {"kind": "deposit", "order": "7"}
    assert tx["template"] == "DEPOSIT"
    assert tx["postCommitVolumes"]["users:1"]["USD"]["balance"] == 100

    # A second template, whose postings are checked against the chart like any other.
    r = await client.post(f"{V2}/tpl/transactions", params=V1, json={
        "script": {"template": "TO_BANK", "vars": {"from": "users:1"}}, "metadata": {}})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["template"] == "TO_BANK"
    # Stored with the transaction: reads show it too.
    listed = (await client.get(f"{V2}/tpl/transactions")).json()["cursor"]["data"]
    assert [t.get("template") for t in listed] == ["TO_BANK", "DEPOSIT"]
    one = (await client.get(f"{V2}/tpl/transactions/{tx['id']}")).json()["data"]
    assert one["template"] == "DEPOSIT"
    r = await client.post(f"{V2}/tpl/transactions", json=deposit(user="users:abc"), params=V1)
    assert r.status_code == 400 and "users:abc" in r.json()["errorMessage"], r.text

    # The log records the template (outside the hash memento: the chain still verifies).
    logs = (await client.get(f"{V2}/tpl/logs", params={"sort": "id:asc"})).json()["cursor"]
    written = [log for log in logs["data"] if log["type"] == "NEW_TRANSACTION"]
    assert [log["data"]["transaction"].get("template") for log in written] == [
        "DEPOSIT", "TO_BANK"]

    # An idempotent replay answers with the same transaction, template included.
    headers = {"Idempotency-Key": "dep-2"}
    first = await client.post(f"{V2}/tpl/transactions", json=deposit(), params=V1,
                              headers=headers)
    again = await client.post(f"{V2}/tpl/transactions", json=deposit(), params=V1,
                              headers=headers)
    assert again.headers.get("Idempotency-Hit") == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again.json()["data"]["template"] == "DEPOSIT"

    # Plain postings on the same ledger carry no template.
    r = await client.post(f"{V2}/tpl/transactions", params=V1, json={
        "postings": [{"source": "world", "destination": "bank", "amount": 1, "asset": "USD"}],
        "metadata": {}})
    assert r.status_code == 200 and "template" not in r.json()["data"], r.text


async def test_template_in_bulk(client: httpx.AsyncClient) -> None:
    await setup(client, "tplb")
    r = await client.post(f"{V2}/tplb/_bulk", params=V1, json=[
        {"action": "CREATE_TRANSACTION", "data": deposit("users:2", "USD 30")},
        {"action": "CREATE_TRANSACTION", "data": deposit("users:3", "USD 40")}])
    assert r.status_code == 200, r.text
    balances = (await client.get(f"{V2}/tplb/aggregate/balances",
                                 params={"query": '{"$match": {"address": "users:"}}'})).json()
    assert balances["data"] == {"USD": 70}


async def test_template_errors(client: httpx.AsyncClient) -> None:
    await setup(client, "tple")
    url = f"{V2}/tple/transactions"
    r = await client.post(url, params=V1, json={
        "script": {"template": "NOPE", "vars": {}}, "metadata": {}})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    assert "NOPE" in r.json()["errorMessage"] and "v1" in r.json()["errorMessage"]
    # Strict mode: a ledger with schemas needs the version the template comes from.
    r = await client.post(url, json=deposit())
    assert r.status_code == 400 and r.json()["errorCode"] == "SCHEMA_NOT_SPECIFIED", r.text
    r = await client.post(url, json=deposit(), params={"schemaVersion": "v9"})
    assert r.status_code == 404, r.text
    # Exactly one of postings / script.plain / script.template.
    plain = "send [USD 1] (source = @world destination = @bank)"
    r = await client.post(url, params=V1, json={
        "script": {"template": "DEPOSIT", "plain": plain}, "metadata": {}})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    r = await client.post(url, params=V1, json={"script": {"template": 3}, "metadata": {}})
    assert r.status_code == 400 and "script.template" in r.json()["errorMessage"], r.text
    # Missing vars of the template's script: a Numscript error, as for a plain script.
    r = await client.post(url, params=V1, json={"script": {"template": "DEPOSIT"},
                                                "metadata": {}})
    assert r.status_code == 400 and r.json()["errorCode"] in (
        "COMPILATION_FAILED", "INTERPRETER_RUNTIME"), r.text
    # A ledger without schemas has no template to take.
    assert (await client.post(f"{V2}/plain", json={})).status_code == 204
    r = await client.post(f"{V2}/plain/transactions", json=deposit())
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", r.text
    assert "DEPOSIT" in r.json()["errorMessage"]
