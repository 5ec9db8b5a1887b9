"""The webhooks config API against the contract of the Formance webhooks spec."""

from __future__ import annotations

import base64
from typing import Any

import httpx

SECRET = "V0bivxRWveaoz08afqjU6Ko/jwO0Cb+3"
MISSING = "4997257d-dfb6-445b-929c-cbe2ab182818"


async def _create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"endpoint": "https://example.com/hook",
                               "eventTypes": ["ledger.committed_transactions"]}
    payload.update(body)
    resp = await client.post("/api/webhooks/configs", json=payload)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def test_insert_config_lowercases_event_types_and_generates_a_secret(
    client: httpx.AsyncClient,
) -> None:
    config = await _create(
        client, eventTypes=["LEDGER.Committed_Transactions", "ledger.saved_metadata"])
    assert config["eventTypes"] == ["ledger.committed_transactions", "ledger.saved_metadata"]
    assert config["active"] is True
    assert len(base64.b64decode(config["secret"])) == 24
    assert {"id", "endpoint", "createdAt", "updatedAt"} <= config.keys()


async def test_insert_config_keeps_a_valid_secret_and_rejects_others(
    client: httpx.AsyncClient,
) -> None:
    assert (await _create(client, secret=SECRET))["secret"] == SECRET
    for bad in ("short", base64.b64encode(b"x" * 23).decode()):
        resp = await client.post("/api/webhooks/configs", json={
            "endpoint": "https://example.com", "eventTypes": ["a.b"], "secret": bad})
        assert resp.status_code == 400
        assert resp.json()["errorCode"] == "VALIDATION"


async def test_insert_config_validates_endpoint_and_event_types(client: httpx.AsyncClient) -> None:
    bodies = [
        {"endpoint": "not a url", "eventTypes": ["a.b"]},
        {"endpoint": "https://example.com", "eventTypes": []},
        {"endpoint": "https://example.com", "eventTypes": [" "]},
        {"endpoint": "https://example.com"},
        {"eventTypes": ["a.b"]},
    ]
    for body in bodies:
        resp = await client.post("/api/webhooks/configs", json=body)
        assert resp.status_code == 400, body
        assert resp.json()["errorCode"] == "VALIDATION"


async def test_list_configs_newest_update_first_with_id_and_endpoint_filters(
    client: httpx.AsyncClient,
) -> None:
    first = await _create(client, endpoint="https://a.example.com")
    second = await _create(client, endpoint="https://b.example.com")
    body = (await client.get("/api/webhooks/configs")).json()
    assert body["cursor"]["hasMore"] is False
    assert [c["id"] for c in body["cursor"]["data"]] == [second["id"], first["id"]]
    by_id = (await client.get("/api/webhooks/configs", params={"id": first["id"]})).json()
    assert [c["id"] for c in by_id["cursor"]["data"]] == [first["id"]]
    by_endpoint = (await client.get("/api/webhooks/configs",
                                    params={"endpoint": "https://b.example.com"})).json()
    assert [c["id"] for c in by_endpoint["cursor"]["data"]] == [second["id"]]
    nothing = (await client.get("/api/webhooks/configs", params={"id": "nope"})).json()
    assert nothing["cursor"]["data"] == []


async def test_update_activate_deactivate_change_secret_delete(client: httpx.AsyncClient) -> None:
    config = await _create(client, secret=SECRET)
    url = f"/api/webhooks/configs/{config['id']}"
    resp = await client.put(url, json={"endpoint": "https://new.example.com",
                                       "eventTypes": ["PAYMENTS.saved_payment"]})
    assert resp.status_code == 200
    updated = resp.json()["data"]
    assert updated["endpoint"] == "https://new.example.com"
    assert updated["eventTypes"] == ["payments.saved_payment"]
    assert updated["secret"] == SECRET  # an update without secret keeps it

    resp = await client.put(f"{url}/deactivate")
    assert resp.status_code == 200 and resp.json()["data"]["active"] is False
    resp = await client.put(f"{url}/activate")
    assert resp.status_code == 200 and resp.json()["data"]["active"] is True

    resp = await client.put(f"{url}/secret/change", json={"secret": ""})
    new_secret = resp.json()["data"]["secret"]
    assert resp.status_code == 200 and new_secret != SECRET
    assert len(base64.b64decode(new_secret)) == 24
    resp = await client.put(f"{url}/secret/change", json={"secret": SECRET})
    assert resp.json()["data"]["secret"] == SECRET
    resp = await client.put(f"{url}/secret/change", json={"secret": "bad"})
    assert resp.status_code == 400 and resp.json()["errorCode"] == "VALIDATION"
    resp = await client.put(f"{url}/secret/change")
    assert resp.status_code == 200

    assert (await client.delete(url)).status_code == 200
    assert (await client.get("/api/webhooks/configs")).json()["cursor"]["data"] == []
    assert (await client.delete(url)).status_code == 404


async def test_unknown_or_malformed_config_ids_are_not_found(client: httpx.AsyncClient) -> None:
    for config_id in (MISSING, "not-a-uuid"):
        base = f"/api/webhooks/configs/{config_id}"
        calls = [
            client.put(base, json={"endpoint": "https://e.com", "eventTypes": ["a.b"]}),
            client.delete(base),
            client.put(f"{base}/activate"),
            client.put(f"{base}/deactivate"),
            client.put(f"{base}/secret/change", json={"secret": SECRET}),
            client.get(f"{base}/test"),
        ]
        for call in calls:
            resp = await call
            assert resp.status_code == 404, resp.request.url
            assert resp.json()["errorCode"] == "NOT_FOUND"


async def test_update_validates_like_insert(client: httpx.AsyncClient) -> None:
    config = await _create(client)
    resp = await client.put(f"/api/webhooks/configs/{config['id']}",
                            json={"endpoint": "https://e.com", "eventTypes": []})
    assert resp.status_code == 400 and resp.json()["errorCode"] == "VALIDATION"


async def test_deliveries_endpoints_answer_not_found_and_empty_pages(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/webhooks/deliveries")).json()
    assert body["cursor"]["data"] == [] and body["cursor"]["hasMore"] is False
    for path in (f"/api/webhooks/deliveries/{MISSING}",
                 f"/api/webhooks/deliveries/{MISSING}/attempts", "/api/webhooks/deliveries/nope"):
        resp = await client.get(path)
        assert resp.status_code == 404 and resp.json()["errorCode"] == "NOT_FOUND"
    resp = await client.get("/api/webhooks/deliveries", params={"cursor": "!!!"})
    assert resp.status_code == 400 and resp.json()["errorCode"] == "VALIDATION"
    resp = await client.get("/api/webhooks/deliveries", params={"status": "weird"})
    assert resp.status_code == 400
