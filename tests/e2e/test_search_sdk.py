"""The official Formance Python SDK searches Ledgerflow served by uvicorn, with the search
indexer running as the dispatcher runs it: transactions written through `sdk.ledger.v2` become
searchable within a second, found with terms, policy, sort and the cursor the SDK hands back;
the multi-kind answer, `_info` and the refusals (`raw`, an unknown target) as the SDK sees
them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models import errors

from config.modules import ModuleSettings
from config.settings import Settings
from storage.database import Database
from tests.e2e.conftest import ServeApp
from workers.search_dispatch import run_search_indexer

LEDGER = "e2e"


@pytest.fixture
async def indexer(database_url: str) -> AsyncIterator[None]:
    database = Database(database_url, pool_size=2)
    stop = asyncio.Event()
    task = asyncio.create_task(run_search_indexer(
        Settings(database_url=database_url), database, None,  # type: ignore[arg-type]
        ModuleSettings(), stop))
    yield
    stop.set()
    await task
    await database.dispose()


WAIT_S = 5.0


async def _found(sdk: SDK, **query: object) -> list[dict[str, object]]:
    """The documents of a query once at least one is indexed (the indexer is asynchronous)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        res = await sdk.search.v1.search_async(request=query)  # type: ignore[arg-type]
        assert res.status_code == 200 and res.response is not None
        data = res.response.cursor.data if res.response.cursor else []
        if data or time.monotonic() > deadline:
            return data or []
        await asyncio.sleep(0.05)


@pytest.mark.usefixtures("indexer")
async def test_search_with_the_sdk(serve_app: ServeApp) -> None:
    sdk = SDK(server_url=serve_app())
    await sdk.ledger.v2.create_ledger_async(request={"ledger": LEDGER,
                                                    "v2_create_ledger_request": {}})
    written = time.monotonic()
    for n in range(4):
        res = await sdk.ledger.v2.create_transaction_async(request={
            "ledger": LEDGER, "v2_post_transaction": {
                "postings": [{"source": "world", "destination": f"users:{n}",
                              "amount": 100 * (n + 1), "asset": "USD/2"}],
                "metadata": {"batch": "a" if n < 2 else "b"}, "reference": f"ref-{n}"}})
        assert res.status_code == 200
    last = await _found(sdk, target="TRANSACTION", terms=["reference=ref-3"])
    assert [t["reference"] for t in last] == ["ref-3"]
    assert time.monotonic() - written < WAIT_S

    q = {"target": "TRANSACTION", "ledgers": [LEDGER], "terms": ["metadata.batch=b",
                                                                 "amount<=100"],
         "policy": "OR", "sort": "txid:asc", "page_size": 2}
    res = await sdk.search.v1.search_async(request=q)  # type: ignore[arg-type]
    assert res.response is not None and res.response.cursor is not None
    cursor = res.response.cursor
    assert [t["reference"] for t in cursor.data or []] == ["ref-0", "ref-2"]
    assert cursor.has_more and cursor.total is not None and cursor.total.value == 3
    res = await sdk.search.v1.search_async(request={"cursor": cursor.next})
    assert res.response is not None and res.response.cursor is not None
    assert [t["reference"] for t in res.response.cursor.data or []] == ["ref-3"]

    res = await sdk.search.v1.search_async(request={"terms": ["users:1"]})
    assert res.response is not None and res.response.data is not None
    assert {"ACCOUNT", "TRANSACTION", "AUDIT"} <= set(res.response.data)

    info = await sdk.search.v1.get_server_info_search_async()
    assert info.server_info is not None and info.server_info.version

    for bad in ({"target": "WALLET"}, {"raw": {}}):
        with pytest.raises(errors.SDKError) as refused:
            await sdk.search.v1.search_async(request=bad)  # type: ignore[arg-type]
        assert refused.value.status_code == 400
        assert "VALIDATION" in refused.value.body
