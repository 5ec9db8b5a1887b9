"""Buckets (soft delete, restore) and log export/import: an exported ledger imported into an
empty one is identical (transactions, accounts, volumes, metadata, logs and their hashes);
any mismatch is a 400 IMPORT and nothing is imported."""

from __future__ import annotations

import json
from typing import Any

import httpx

V2 = "/api/ledger/v2"


def posting(src: str, dst: str, amount: int, asset: str = "USD") -> dict[str, Any]:
    return {"source": src, "destination": dst, "amount": amount, "asset": asset}


async def ledger(client: httpx.AsyncClient, name: str, bucket: str | None = None) -> None:
    r = await client.post(f"{V2}/{name}", json={"bucket": bucket} if bucket else {})
    assert r.status_code == 204, r.text


async def send(client: httpx.AsyncClient, name: str, *postings: dict[str, Any],
               **extra: Any) -> httpx.Response:
    r = await client.post(f"{V2}/{name}/transactions", json={"postings": list(postings),
                                                             **extra})
    assert r.status_code == 200, r.text
    return r


async def test_bucket_soft_delete_hides_and_restore_brings_back(client: httpx.AsyncClient
                                                                ) -> None:
    await ledger(client, "b1", "archive")
    await ledger(client, "b2", "archive")
    await ledger(client, "other")
    await send(client, "b1", posting("world", "a", 1))
    r = await client.delete(f"{V2}/_/buckets/archive")
    assert r.status_code == 204, r.text
    names = [x["name"] for x in (await client.get(V2)).json()["cursor"]["data"]]
    assert names == ["other"]
    listed = (await client.get(V2, params={"includeDeleted": "true"})).json()["cursor"]["data"]
    assert {x["name"] for x in listed if x.get("deletedAt")} == {"b1", "b2"}
    for path in ("/b1", "/b1/transactions", "/b2/accounts"):
        r = await client.get(f"{V2}{path}")
        assert r.status_code == 404 and r.json()["errorCode"] == "LEDGER_NOT_FOUND", path
    r = await client.post(f"{V2}/b1/transactions", json={"postings": [posting("world", "a", 1)]})
    assert r.status_code == 404
    r = await client.post(f"{V2}/b1", json={})
    assert r.status_code == 400 and r.json()["errorCode"] == "LEDGER_ALREADY_EXISTS"
    r = await client.get("/api/ledger/b1/stats")  # v1 does not re-create a deleted ledger
    assert r.status_code == 404, r.text
    r = await client.post(f"{V2}/_/buckets/archive/restore")
    assert r.status_code == 204
    r = await client.get(f"{V2}/b1/transactions")
    assert r.status_code == 200 and len(r.json()["cursor"]["data"]) == 1
    assert "deletedAt" not in (await client.get(f"{V2}/b1")).json()["data"]


async def test_unknown_bucket_is_404(client: httpx.AsyncClient) -> None:
    r = await client.delete(f"{V2}/_/buckets/nothing")
    assert r.status_code == 404 and r.json()["errorCode"] == "NOT_FOUND"
    r = await client.post(f"{V2}/_/buckets/bad name!/restore")
    assert r.status_code == 400


async def _populate(client: httpx.AsyncClient, name: str) -> None:
    await ledger(client, name)
    await send(client, name, posting("world", "users:1", 100), posting("world", "users:2", 7,
                                                                       "EUR/2"),
               reference="first", metadata={"k": "v"},
               accountMetadata={"users:1": {"tier": "gold"}})
    await send(client, name, posting("users:1", "shop", 30), timestamp="2020-01-01T00:00:00Z")
    big = 10**30
    await send(client, name, posting("world", "whale", big))
    r = await client.post(f"{V2}/{name}/transactions/2/revert")
    assert r.status_code == 201, r.text
    assert (await client.post(f"{V2}/{name}/accounts/shop/metadata",
                              json={"kind": "merchant"})).status_code == 204
    assert (await client.post(f"{V2}/{name}/transactions/1/metadata",
                              json={"x": "y", "z": "w"})).status_code == 204
    assert (await client.delete(f"{V2}/{name}/transactions/1/metadata/z")).status_code == 204
    assert (await client.delete(f"{V2}/{name}/accounts/users:1/metadata/tier")).status_code == 204
    r = await client.post(f"{V2}/{name}/transactions", headers={"Idempotency-Key": "ik-1"},
                          json={"postings": [posting("world", "users:3", 5)],
                                "timestamp": "2024-05-01T10:00:00.123456Z"})
    assert r.status_code == 200, r.text
    r = await client.post(f"{V2}/{name}/schemas/v1", json={"chart": {
        "world": {}, "users": {"$id": {".pattern": "^[0-9]+$"}}, "shop": {}, "whale": {}}})
    assert r.status_code == 204, r.text


async def _everything(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    async def all_of(path: str, **params: Any) -> list[Any]:
        r = await client.get(f"{V2}/{name}/{path}", params={"pageSize": 100, **params})
        assert r.status_code == 200, r.text
        return list(r.json()["cursor"]["data"])

    return {
        "transactions": await all_of("transactions", expand=["volumes", "effectiveVolumes"]),
        "accounts": await all_of("accounts", expand=["volumes", "effectiveVolumes"]),
        "volumes": await all_of("volumes"),
        "logs": await all_of("logs"),
        "stats": (await client.get(f"{V2}/{name}/stats")).json(),
        "schema": (await client.get(f"{V2}/{name}/schemas/v1")).json(),
    }


async def test_export_then_import_rebuilds_an_identical_ledger(client: httpx.AsyncClient
                                                               ) -> None:
    await _populate(client, "source")
    exported = await client.post(f"{V2}/source/logs/export")
    assert exported.status_code == 200, exported.text
    lines = [json.loads(line) for line in exported.content.splitlines() if line.strip()]
    assert [log["id"] for log in lines] == list(range(1, 11))
    assert lines[-1]["type"] == "INSERTED_SCHEMA"

    await ledger(client, "copy")
    r = await client.post(f"{V2}/copy/logs/import", content=exported.content,
                          headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    assert await _everything(client, "copy") == await _everything(client, "source")

    # The idempotency key came along: a retry on the copy is a replay, not a second write.
    r = await client.post(f"{V2}/copy/transactions", headers={"Idempotency-Key": "ik-1"},
                          json={"postings": [posting("world", "users:3", 5)],
                                "timestamp": "2024-05-01T10:00:00.123456Z"})
    assert r.status_code == 200 and r.headers.get("Idempotency-Hit") == "true", r.text


async def test_import_accepts_the_sdk_multipart_form(client: httpx.AsyncClient) -> None:
    await ledger(client, "src")
    await send(client, "src", posting("world", "a", 3))
    exported = (await client.post(f"{V2}/src/logs/export")).content
    await ledger(client, "dst")
    r = await client.post(f"{V2}/dst/logs/import", files={"file": ("logs", exported)})
    assert r.status_code == 204, r.text
    assert (await client.get(f"{V2}/dst/accounts/a")).status_code == 200


async def test_import_refuses_bad_streams_and_imports_nothing(client: httpx.AsyncClient) -> None:
    await ledger(client, "src2")
    for n in range(3):
        await send(client, "src2", posting("world", f"u{n}", n + 1))
    lines = [json.loads(x) for x in
             (await client.post(f"{V2}/src2/logs/export")).content.splitlines()]
    await ledger(client, "dst2")

    async def attempt(logs: list[dict[str, Any]]) -> httpx.Response:
        body = "\n".join(json.dumps(x) for x in logs).encode()
        return await client.post(f"{V2}/dst2/logs/import", content=body)

    tampered = [dict(x) for x in lines]
    tampered[2] = {**tampered[2], "data": {**tampered[2]["data"]}}
    tampered[2]["data"]["transaction"] = {**tampered[2]["data"]["transaction"],
                                          "metadata": {"evil": "yes"}}
    cases = {
        "hash": tampered,
        "gap": [lines[0], lines[2]],
        "not first": lines[1:],
        "garbage": [lines[0], {"nope": 1}],
    }
    for label, logs in cases.items():
        r = await attempt(logs)
        assert r.status_code == 400 and r.json()["errorCode"] == "IMPORT", (label, r.text)
        assert (await client.get(f"{V2}/dst2/logs")).json()["cursor"]["data"] == [], label
    r = await client.post(f"{V2}/dst2/logs/import", content=b"{not json\n")
    assert r.status_code == 400 and r.json()["errorCode"] == "IMPORT"
    assert (await attempt(lines)).status_code == 204
    # Importing again would not continue the chain.
    r = await attempt(lines)
    assert r.status_code == 400 and r.json()["errorCode"] == "IMPORT"


async def test_export_of_unknown_ledger_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{V2}/ghost/logs/export")
    assert r.status_code == 404 and r.json()["errorCode"] == "LEDGER_NOT_FOUND"
