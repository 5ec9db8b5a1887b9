"""The v2 surface against the contract: every operation of the spec is routed under its Formance
operationId, and the bulk streams answer with a clear Formance error."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from api.app import create_app
from config.settings import Settings
from tests.integration.ledger.helpers import BASE, assert_error, create_ledger, posting

METHODS = ("get", "head", "post", "put", "delete")


def test_every_spec_operation_is_routed_with_its_operation_id(shared_dir: Path) -> None:
    spec = yaml.safe_load((shared_dir / "formance-openapi/ledger/openapi/v2.yaml").read_text())
    app = create_app(Settings(database_url="postgresql+asyncpg://u@127.0.0.1:1/none",
                              temporal_address="127.0.0.1:1"))
    routed = {(method, path.removeprefix("/api/ledger")): op.get("operationId")
              for path, ops in app.openapi()["paths"].items() if path.startswith("/api/ledger")
              for method, op in ops.items()}
    wrong = {(method, path, op["operationId"]): routed.get((method, path))
             for path, ops in spec["paths"].items()
             for method, op in ops.items()
             if method in METHODS and routed.get((method, path)) != op["operationId"]}
    assert wrong == {}


async def test_bulk_streams_are_refused_clearly(client: httpx.AsyncClient) -> None:
    ledger = await create_ledger(client)
    element = ('{"action":"CREATE_TRANSACTION","data":{"postings":'
               '[{"source":"world","destination":"a","amount":1,"asset":"USD"}]}}\n')
    for kind in ("json-stream", "script-stream"):
        r = await client.post(
            f"{BASE}/{ledger}/_bulk", content=element,
            headers={"Content-Type": f"application/vnd.formance.ledger.api.v2.bulk+{kind}"})
        assert_error(r, 415, "VALIDATION")
        assert "application/json" in r.json()["errorMessage"]
    stats = (await client.get(f"{BASE}/{ledger}/stats")).json()["data"]
    assert stats["transactions"] == 0
    # application/json with a charset is the ordinary bulk.
    r = await client.post(f"{BASE}/{ledger}/_bulk", content="[" + element + "]",
                          headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text


async def test_server_info_and_counts(client: httpx.AsyncClient) -> None:
    info = await client.get("/api/ledger/_/info")
    assert info.status_code == 200 and info.json()["server"] == "ledger"
    ledger = await create_ledger(client)
    r = await client.post(f"{BASE}/{ledger}/transactions", json={
        "postings": [posting("world", "users:1", 5), posting("users:1", "users:2", 2)]})
    assert r.status_code == 200, r.text
    accounts = await client.head(f"{BASE}/{ledger}/accounts",
                                 params={"query": '{"$match":{"address":"users:"}}'})
    assert accounts.status_code == 204 and accounts.headers["Count"] == "2"
    txs = await client.head(f"{BASE}/{ledger}/transactions",
                            params={"pit": "2000-01-01T00:00:00Z"})
    assert txs.status_code == 204 and txs.headers["Count"] == "0"
