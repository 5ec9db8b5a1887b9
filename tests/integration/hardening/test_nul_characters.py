"""A NUL character (U+0000) cannot be stored by PostgreSQL: wherever it comes in (body, query,
path, header) and whichever module it is sent to, the answer is a 400 VALIDATION naming the
field, decided before anything is written (api/input_guard.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.ledger.helpers import BASE, create_ledger, posting

FULL_STACK = {"Origin": "http://browser.example"}  # takes the middleware stack, not hot_writes
NUL = "a\u0000b"


def assert_nul_refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["errorCode"] == "VALIDATION", body
    assert "NUL character" in body["errorMessage"], body
    assert field in body["errorMessage"], body


@pytest.mark.parametrize("headers", [{}, FULL_STACK], ids=["hot-path", "full-stack"])
@pytest.mark.parametrize("doc, field", [
    ({"postings": [posting("world", "a", 1)], "metadata": {"note": NUL}}, "body.metadata.note"),
    ({"postings": [posting("world", "a", 1)], "metadata": {NUL: "x"}}, "the key of body.metadata"),
    ({"postings": [posting("world", "a", 1)], "accountMetadata": {"a": {"k": NUL}}},
     "body.accountMetadata.a.k"),
    ({"postings": [posting("world", "a", 1)], "reference": NUL}, "body.reference"),
    ({"script": {"plain": "send [USD 1] (source = @world destination = @a)",
                 "vars": {"v": NUL}}}, "body.script.vars.v"),
])
async def test_ledger_transaction_refused_before_any_write(
        client: httpx.AsyncClient, headers: dict[str, str], doc: dict[str, Any],
        field: str) -> None:
    await create_ledger(client)
    r = await client.post(f"{BASE}/main/transactions", json=doc, headers=headers)
    assert_nul_refused(r, field)
    listed = await client.get(f"{BASE}/main/transactions")
    assert listed.json()["cursor"]["data"] == []


async def test_ledger_bulk_names_the_element(client: httpx.AsyncClient) -> None:
    await create_ledger(client)
    bulk = [{"action": "CREATE_TRANSACTION", "data": {"postings": [posting("world", "a", 1)]}},
            {"action": "ADD_METADATA", "data": {"targetType": "ACCOUNT", "targetId": "a",
                                                "metadata": {"k": NUL}}}]
    r = await client.post(f"{BASE}/main/_bulk", json=bulk)
    assert_nul_refused(r, "body[1].data.metadata.k")
    # Refused as a whole: not even the first element was written.
    listed = await client.get(f"{BASE}/main/transactions")
    assert listed.json()["cursor"]["data"] == []


@pytest.mark.parametrize("method, path, doc, field", [
    ("PUT", f"{BASE}/main/metadata", {"k": NUL}, "body.k"),
    ("POST", f"{BASE}/main/accounts/a/metadata", {"k": NUL}, "body.k"),
    ("POST", f"{BASE}/other", {"metadata": {"k": NUL}}, "body.metadata.k"),
    ("PUT", "/api/ledger/main/mapping", {"contract": [{"account": NUL, "expr": {}}]},
     "body.contract[0].account"),
    ("POST", "/api/ledger/main/transactions",
     {"postings": [posting("world", "a", 1)], "metadata": {"k": NUL}}, "body.metadata.k"),
    ("POST", "/api/wallets/wallets", {"name": "w", "metadata": {"k": NUL}}, "body.metadata.k"),
    ("POST", "/api/wallets/wallets", {"name": NUL}, "body.name"),
    ("POST", "/api/webhooks/configs", {"endpoint": "https://example.com/" + NUL,
                                       "eventTypes": ["ledger.committed_transactions"]},
     "body.endpoint"),
    ("POST", "/api/auth/clients", {"name": NUL}, "body.name"),
])
async def test_every_module_refuses_it_in_bodies(client: httpx.AsyncClient, method: str,
                                                 path: str, doc: Any, field: str) -> None:
    await create_ledger(client)
    r = await client.request(method, path, json=doc)
    assert_nul_refused(r, field)


async def test_wallet_update_credit_debit(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/wallets/wallets", json={"name": "w"})
    assert created.status_code == 201, created.text
    wid = created.json()["data"]["id"]
    monetary = {"asset": "USD", "amount": 10}
    for method, path, doc in [
        ("PATCH", f"/api/wallets/wallets/{wid}", {"metadata": {"k": NUL}}),
        ("POST", f"/api/wallets/wallets/{wid}/credit", {"amount": monetary,
                                                       "metadata": {"k": NUL}}),
        ("POST", f"/api/wallets/wallets/{wid}/debit", {"amount": monetary,
                                                      "metadata": {"k": NUL}}),
    ]:
        assert_nul_refused(await client.request(method, path, json=doc), "body.metadata.k")
    wallet = await client.get(f"/api/wallets/wallets/{wid}")
    assert wallet.json()["data"]["metadata"] == {}


async def test_query_path_and_header(client: httpx.AsyncClient) -> None:
    await create_ledger(client)
    r = await client.get(f"{BASE}/main/transactions",
                         params={"query": '{"$match": {"metadata[k]": "a\\u0000b"}}'})
    assert_nul_refused(r, "query parameter 'query'")
    r = await client.get("/api/wallets/wallets", params={"metadata[k]": NUL})
    assert_nul_refused(r, "query parameter 'metadata[k]'")
    r = await client.get(f"{BASE}/ma%00in/transactions")
    assert_nul_refused(r, "path")
    r = await client.post(f"{BASE}/main/transactions", json={"postings": []},
                          headers={"Idempotency-Key": NUL})
    assert_nul_refused(r, "header 'idempotency-key'")


async def test_form_bodies_and_imported_logs(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/oauth/token", data={
        "grant_type": "client_credentials", "client_id": NUL, "client_secret": "x"})
    assert_nul_refused(r, "form field 'client_id'")
    await create_ledger(client)
    line = ('{"id": 0, "type": "SET_METADATA", "date": "2024-01-01T00:00:00Z", "data": '
            '{"targetType": "ACCOUNT", "targetId": "a", "metadata": {"k": "a\\u0000b"}}}\n')
    r = await client.post(f"{BASE}/main/logs/import", content=line.encode(),
                          headers={"Content-Type": "application/octet-stream"})
    assert_nul_refused(r, "body")


async def test_escaped_backslash_is_plain_text(client: httpx.AsyncClient) -> None:
    """`\\u0000` in JSON is six printable characters: stored as they are."""
    await create_ledger(client)
    text = "\\u0000 and %00"
    r = await client.post(f"{BASE}/main/transactions", json={
        "postings": [posting("world", "a", 1)], "metadata": {"k": text}})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["metadata"] == {"k": text}


# An unpaired UTF-16 surrogate (a JSON escape such as \ud800 with no partner) decodes to a
# string that is not Unicode: PostgreSQL cannot store it either (it was a 409 or a 500).
@pytest.mark.parametrize("headers", [{}, FULL_STACK], ids=["hot-path", "full-stack"])
@pytest.mark.parametrize("escape", ["\\ud800", "\\udc00x", "\\uD83Dx\\uDE00"])
async def test_unpaired_surrogates(client: httpx.AsyncClient, headers: dict[str, str],
                                   escape: str) -> None:
    await create_ledger(client)
    body = ('{"postings": [{"source": "world", "destination": "a", "amount": 1, '
            '"asset": "USD"}], "metadata": {"k": "' + escape + '"}}').encode()
    r = await client.post(f"{BASE}/main/transactions", content=body,
                          headers={"Content-Type": "application/json", **headers})
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "VALIDATION"
    assert "body.metadata.k contains an unpaired UTF-16 surrogate" in r.json()["errorMessage"]
    listed = await client.get(f"{BASE}/main/transactions")
    assert listed.json()["cursor"]["data"] == []


async def test_unpaired_surrogates_elsewhere(client: httpx.AsyncClient) -> None:
    await create_ledger(client)
    r = await client.post("/api/wallets/wallets", content=b'{"name": "\\ud800"}',
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "body.name" in r.json()["errorMessage"], r.text
    r = await client.get(f"{BASE}/main/transactions",
                         params={"query": '{"$match": {"metadata[k]": "\\ud800"}}'})
    assert r.status_code == 400 and "query parameter 'query'" in r.json()["errorMessage"], r.text


async def test_surrogate_pairs_are_characters(client: httpx.AsyncClient) -> None:
    """An escaped pair is one character (here an emoji, as Python's json.dumps writes it)."""
    await create_ledger(client)
    body = (b'{"postings": [{"source": "world", "destination": "a", "amount": 1, '
            b'"asset": "USD"}], "metadata": {"k": "\\ud83d\\ude00 \\u00e9"}}')
    r = await client.post(f"{BASE}/main/transactions", content=body,
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["metadata"] == {"k": "\U0001f600 \u00e9"}
    r = await client.get(f"{BASE}/main/transactions",
                         params={"query": '{"$match": {"metadata[k]": "\\ud83d\\ude00 \\u00e9"}}'})
    assert r.status_code == 200 and len(r.json()["cursor"]["data"]) == 1, r.text
