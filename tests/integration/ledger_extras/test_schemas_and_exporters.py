"""Ledger schemas (chart of accounts enforced on writes, versions named by `schemaVersion`),
query templates, and exporter validation (unavailable drivers refused, not faked)."""

from __future__ import annotations

from typing import Any

import httpx

V2 = "/api/ledger/v2"

SCHEMA = {
    "chart": {
        "world": {},
        "users": {"$userID": {".pattern": "^[0-9]+$", ".metadata": {"tier": {"default": "x"}}}},
        "bank": {".self": {}, "fees": {}},
    },
    "transactions": {"fund": {"script": "send [USD 1] (source = @world destination = @bank)"}},
    "queries": {"by_user": {"resource": "transactions",
                            "body": {"$match": {"destination": "users:${user}"}},
                            "vars": {"user": {"type": "string"}}}},
}


def posting(src: str, dst: str, amount: int = 1) -> dict[str, Any]:
    return {"source": src, "destination": dst, "amount": amount, "asset": "USD"}


async def test_schema_lifecycle_and_enforcement(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{V2}/s1", json={})).status_code == 204
    # No schema yet: writes pay nothing and need no version.
    r = await client.post(f"{V2}/s1/transactions", json={"postings": [posting("world", "any")]})
    assert r.status_code == 200, r.text
    r = await client.post(f"{V2}/s1/schemas/v1.0", json=SCHEMA)
    assert r.status_code == 204, r.text
    r = await client.post(f"{V2}/s1/schemas/v1.0", json=SCHEMA)
    assert r.status_code == 400 and r.json()["errorCode"] == "SCHEMA_ALREADY_EXISTS"
    got = (await client.get(f"{V2}/s1/schemas/v1.0")).json()["data"]
    assert got["version"] == "v1.0" and got["chart"] == SCHEMA["chart"] and got["createdAt"]
    assert (await client.get(f"{V2}/s1/schemas/nope")).status_code == 404
    listed = (await client.get(f"{V2}/s1/schemas")).json()["cursor"]
    assert [s["version"] for s in listed["data"]] == ["v1.0"] and listed["hasMore"] is False
    logs = (await client.get(f"{V2}/s1/logs")).json()["cursor"]["data"]
    assert logs[0]["type"] == "INSERTED_SCHEMA"

    body = {"postings": [posting("world", "users:42")]}
    r = await client.post(f"{V2}/s1/transactions", json=body)
    assert r.status_code == 400 and r.json()["errorCode"] == "SCHEMA_NOT_SPECIFIED", r.text
    r = await client.post(f"{V2}/s1/transactions", json=body, params={"schemaVersion": "v9"})
    assert r.status_code == 404, r.text
    r = await client.post(f"{V2}/s1/transactions", json=body, params={"schemaVersion": "v1.0"})
    assert r.status_code == 200, r.text
    r = await client.post(f"{V2}/s1/transactions", json={"postings": [
        posting("world", "users:abc")]}, params={"schemaVersion": "v1.0"})
    assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION"
    assert "pattern" in r.json()["errorMessage"] and "users:$userID" in r.json()["errorMessage"]
    r = await client.post(f"{V2}/s1/transactions", json={"postings": [
        posting("world", "shop:1")]}, params={"schemaVersion": "v1.0"})
    assert r.status_code == 400 and "not declared" in r.json()["errorMessage"]
    for ok in ("bank", "bank:fees"):
        r = await client.post(f"{V2}/s1/transactions", json={"postings": [posting("world", ok)]},
                              params={"schemaVersion": "v1.0"})
        assert r.status_code == 200, (ok, r.text)
    r = await client.post(f"{V2}/s1/accounts/users:x/metadata", json={"a": "b"},
                          params={"schemaVersion": "v1.0"})
    assert r.status_code == 400, r.text
    plain = "send [USD 1] (\n source = @world\n destination = @nowhere\n)\n"
    r = await client.post(f"{V2}/s1/transactions", json={"script": {"plain": plain}},
                          params={"schemaVersion": "v1.0"})
    assert r.status_code == 400 and "nowhere" in r.json()["errorMessage"], r.text

    run = await client.post(f"{V2}/s1/queries/by_user/run", json={"vars": {"user": "42"}})
    assert run.status_code == 200, run.text
    assert run.json()["resource"] == "transactions"
    assert [t["postings"][0]["destination"] for t in run.json()["cursor"]["data"]] == [
        "users:42"]
    r = await client.post(f"{V2}/s1/queries/unknown/run", json={})
    assert r.status_code == 404


async def test_invalid_schemas_are_rejected(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{V2}/s2", json={})).status_code == 204
    for bad in ({}, {"chart": {"$x": {}}}, {"chart": {"a": {"$v": {".pattern": "("}}}},
                {"chart": {}, "queries": {"q": {"resource": "nope"}}}):
        r = await client.post(f"{V2}/s2/schemas/v1", json=bad)
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", (bad, r.text)
    r = await client.post(f"{V2}/ghost/schemas/v1", json=SCHEMA)
    assert r.status_code == 404


async def test_exporters_crud_and_unavailable_drivers(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{V2}/_/exporters", json={"driver": "clickhouse",
                                                     "config": {"dsn": "clickhouse://x"}})
    assert r.status_code == 400 and "not available" in r.json()["errorMessage"]
    r = await client.post(f"{V2}/_/exporters", json={"driver": "http", "config": {}})
    assert r.status_code == 400 and "url" in r.json()["errorMessage"]
    r = await client.post(f"{V2}/_/exporters", json={"driver": "stdout", "config": {}})
    assert r.status_code == 201, r.text
    exporter = r.json()["data"]
    assert exporter["driver"] == "stdout" and exporter["id"] and exporter["createdAt"]
    listed = (await client.get(f"{V2}/_/exporters")).json()["cursor"]["data"]
    assert [e["id"] for e in listed] == [exporter["id"]]
    r = await client.put(f"{V2}/_/exporters/{exporter['id']}",
                         json={"driver": "http", "config": {"url": "http://127.0.0.1:9/x"}})
    assert r.status_code == 204
    got = (await client.get(f"{V2}/_/exporters/{exporter['id']}")).json()["data"]
    assert got["driver"] == "http"
    assert (await client.delete(f"{V2}/_/exporters/{exporter['id']}")).status_code == 204
    assert (await client.get(f"{V2}/_/exporters/{exporter['id']}")).status_code == 404
    assert (await client.post(f"{V2}/main/pipelines", json={"exporterID": "x"})).status_code \
        == 404
