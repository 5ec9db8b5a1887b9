"""The ledger resources the stack needs cannot be destroyed through the API (issue 14, point 4):
the bucket of the wallets ledger (where it is, or where wallets will create it) cannot be
deleted, and the wallets ledger cannot be given a schema or imported into; wallets keep
working. Buckets and ledgers of the user are untouched."""

from __future__ import annotations

import httpx

from tests.integration.wallets.helpers import W, account, create_wallet, ledger_balance

L = "/api/ledger"


def _refused(r: httpx.Response, *fragments: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["errorCode"] == "VALIDATION", r.text
    for fragment in fragments:
        assert fragment in body["errorMessage"], r.text


async def _credit(client: httpx.AsyncClient, wid: str, amount: int) -> None:
    r = await client.post(f"{W}/wallets/{wid}/credit",
                          json={"amount": {"asset": "USD/2", "amount": amount}})
    assert r.status_code == 204, r.text


async def test_the_wallets_bucket_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    # Before the wallets ledger exists: it will be created in `_default`, refused already.
    _refused(await client.delete(f"{L}/v2/_/buckets/_default"),
             "bucket '_default' (the bucket of ledger 'wallets-002') cannot be deleted",
             "wallets module")
    wid = await create_wallet(client)
    await _credit(client, wid, 100)
    _refused(await client.delete(f"{L}/v2/_/buckets/_default"), "wallets-002")

    # Wallets still work, their ledger is still listed.
    await _credit(client, wid, 20)
    assert await ledger_balance(client, account(wid)) == 120
    r = await client.get(f"{L}/v2/wallets-002")
    assert r.status_code == 200 and "deletedAt" not in r.json()["data"], r.text

    # A bucket of the user's own is deleted (and restored) as before.
    r = await client.post(f"{L}/v2/mine", json={"bucket": "users-bucket"})
    assert r.status_code == 204, r.text
    assert (await client.delete(f"{L}/v2/_/buckets/users-bucket")).status_code == 204
    assert (await client.get(f"{L}/v2/mine")).status_code == 404
    assert (await client.post(f"{L}/v2/_/buckets/users-bucket/restore")).status_code == 204


async def test_the_bucket_that_really_holds_the_wallets_ledger(client: httpx.AsyncClient
                                                               ) -> None:
    # The wallets ledger was created by hand in another bucket: that bucket is the protected
    # one, and `_default` is the user's.
    r = await client.post(f"{L}/v2/wallets-002", json={"bucket": "wallets-home"})
    assert r.status_code == 204, r.text
    r = await client.post(f"{L}/v2/in-default")
    assert r.status_code == 204, r.text
    wid = await create_wallet(client)
    _refused(await client.delete(f"{L}/v2/_/buckets/wallets-home"), "wallets-002")
    assert (await client.delete(f"{L}/v2/_/buckets/_default")).status_code == 204
    await _credit(client, wid, 5)
    assert await ledger_balance(client, account(wid)) == 5


async def test_the_wallets_ledger_cannot_get_a_schema(client: httpx.AsyncClient) -> None:
    wid = await create_wallet(client)
    schema = {"chart": {"users": {"$userID": {".pattern": "^[0-9]+$"}}}}
    _refused(await client.post(f"{L}/v2/wallets-002/schemas/v1", json=schema),
             "ledger 'wallets-002' cannot be given a schema", "wallets module")
    await _credit(client, wid, 7)  # strict mode would have refused this write
    assert await ledger_balance(client, account(wid)) == 7
    r = await client.post(f"{L}/v2/other")
    assert r.status_code == 204, r.text
    r = await client.post(f"{L}/v2/other/schemas/v1", json=schema)
    assert r.status_code == 204, r.text
    # What the wallets ledger was spared: a write that names no schema version is refused.
    r = await client.post(f"{L}/v2/other/transactions", json={"postings": [
        {"source": "world", "destination": "users:1", "amount": 1, "asset": "USD"}]})
    assert r.status_code == 400 and r.json()["errorCode"] == "SCHEMA_NOT_SPECIFIED", r.text


async def test_the_wallets_ledger_cannot_be_imported_into(client: httpx.AsyncClient) -> None:
    await create_wallet(client)
    exported = await client.post(f"{L}/v2/wallets-002/logs/export")
    assert exported.status_code == 200, exported.text
    _refused(await client.post(f"{L}/v2/wallets-002/logs/import", content=exported.content),
             "ledger 'wallets-002' cannot be imported into", "wallets module")
    # Other ledgers import as before.
    assert (await client.post(f"{L}/v2/copy")).status_code == 204
    r = await client.post(f"{L}/v2/copy/logs/import", content=exported.content)
    assert r.status_code == 204, r.text
