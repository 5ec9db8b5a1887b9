"""Search over real ledger events: transactions and accounts written through the ledger API,
indexed by the search consumer of the outbox, queried through POST /api/search/ with every term
form, AND/OR, sort, cursors both ways, ledgers, the multi-kind answer and AUDIT."""

from __future__ import annotations

import httpx
import pytest

from storage.database import Database
from tests.integration.ledger.helpers import create_ledger, posting, send
from tests.integration.search.helpers import SEARCH, drain, page, search

L = "/api/ledger/v2"


@pytest.fixture
async def indexed(client: httpx.AsyncClient, database: Database) -> None:
    """Ledger `main` (ids from 1): tx 1 world->users:001 100 USD (ref r-0, order=42), tx 2
    world->users:002 250 USD (order=43), tx 3 world->users:001 30 EUR, tx 4
    users:001->shop:food 30 EUR (note), tx 5 its revert; account
    metadata on users:001 (tier=gold, then tier deleted and kyc=done set); ledger `other`: one
    transaction world->users:001."""
    await create_ledger(client, "main")
    await create_ledger(client, "other")
    for body in (
        dict(postings=[posting("world", "users:001", 100)], reference="r-0",
             metadata={"order": "42"}, timestamp="2024-01-01T00:00:00Z"),
        dict(postings=[posting("world", "users:002", 250)], metadata={"order": "43"},
             timestamp="2024-02-01T00:00:00.5Z"),
        dict(postings=[posting("world", "users:001", 30, "EUR")]),
    ):
        postings = body.pop("postings")
        r = await send(client, "main", *postings, **body)
        assert r.status_code == 200, r.text
    r = await send(client, "main", posting("users:001", "shop:food", 30, "EUR"),
                   metadata={"note": "lunch at the corner"})
    assert r.status_code == 200, r.text
    r = await client.post(f"{L}/main/transactions/4/revert")
    assert r.status_code == 201, r.text
    for md in ({"tier": "gold"}, {"kyc": "done"}):
        r = await client.post(f"{L}/main/accounts/users:001/metadata", json=md)
        assert r.status_code == 204, r.text
    assert (await client.delete(f"{L}/main/accounts/users:001/metadata/tier")).status_code == 204
    assert (await send(client, "other", posting("world", "users:001", 7))).status_code == 200
    assert await drain(database) > 0


def _txids(found: list[dict[str, object]]) -> list[object]:
    return [t["txid"] for t in found]


@pytest.mark.usefixtures("indexed")
async def test_transactions_by_every_term_form(client: httpx.AsyncClient) -> None:
    main = {"target": "TRANSACTION", "ledgers": ["main"]}
    assert _txids(await page(client, **main)) == [5, 4, 3, 2, 1]  # txid desc by default
    assert _txids(await page(client, **main, terms=["reference=r-0"])) == [1]
    assert _txids(await page(client, **main, terms=["metadata.order=43"])) == [2]
    assert _txids(await page(client, **main, terms=["destination=users:001"])) == [5, 3, 1]
    assert _txids(await page(client, **main, terms=["txid=2"])) == [2]
    assert _txids(await page(client, **main, terms=["amount>100"])) == [2]
    assert _txids(await page(client, **main, terms=["amount>=100"])) == [2, 1]
    assert _txids(await page(client, **main, terms=["amount<100"])) == [5, 4, 3]
    assert _txids(await page(client, **main, terms=["amount<=30", "asset=EUR"])) == [5, 4, 3]
    assert _txids(await page(client, **main, terms=["timestamp<2024-02-01T00:00:00.5Z"])) == [1]
    assert _txids(await page(client, **main, terms=["timestamp<=2024-02-01T00:00:00.5Z"])) \
        == [2, 1]
    # Free text: each word starts a word of the transaction (whatever the case, and the parts
    # of an address count as words); `*` makes it a pattern over the whole text.
    assert _txids(await page(client, **main, terms=["CORNER"])) == [4]
    assert _txids(await page(client, **main, terms=["lunch corn"])) == [4]
    assert _txids(await page(client, **main, terms=["orne"])) == []
    assert _txids(await page(client, **main, terms=["*orne*"])) == [4]
    assert _txids(await page(client, **main, terms=["shop"])) == [5, 4]
    assert _txids(await page(client, **main, terms=["users:00"])) == [5, 4, 3, 2, 1]
    assert _txids(await page(client, **main, terms=["food"])) == [5, 4]
    assert _txids(await page(client, **main, terms=["users:*2"])) == [2]
    # The revert marked the reverted transaction.
    reverted = await page(client, **main, terms=["reverted=true"])
    assert _txids(reverted) == [4] and reverted[0]["reverted"] is True
    # Both ledgers, or the other one alone.
    assert len(await page(client, target="TRANSACTION")) == 6
    other = await page(client, target="TRANSACTION", ledgers=["other"])
    assert [(t["ledger"], t["txid"]) for t in other] == [("other", 1)]


@pytest.mark.usefixtures("indexed")
async def test_policies_and_sort(client: httpx.AsyncClient) -> None:
    main = {"target": "TRANSACTION", "ledgers": ["main"]}
    terms = ["metadata.order=42", "metadata.order=43"]
    assert _txids(await page(client, **main, terms=terms)) == []  # AND by default
    assert _txids(await page(client, **main, terms=terms, policy="OR")) == [2, 1]
    assert _txids(await page(client, **main, terms=["asset=EUR", "reference=r-0"],
                             policy="or")) == [5, 4, 3, 1]
    assert _txids(await page(client, **main, sort="txid:asc")) == [1, 2, 3, 4, 5]
    assert _txids(await page(client, **main, sort="timestamp:asc", terms=["asset=USD"])) \
        == [1, 2]
    accounts = await page(client, target="ACCOUNT", ledgers=["main"])
    assert [a["address"] for a in accounts] == ["world", "users:002", "users:001", "shop:food"]
    accounts = await page(client, target="ACCOUNT", ledgers=["main"], sort="address:asc")
    assert accounts[0]["address"] == "shop:food"


@pytest.mark.usefixtures("indexed")
async def test_accounts_follow_metadata_events(client: httpx.AsyncClient) -> None:
    found = await page(client, target="ACCOUNT", ledgers=["main"], terms=["metadata.kyc=done"])
    assert [(a["address"], a["metadata"]) for a in found] == [("users:001", {"kyc": "done"})]
    # The deleted key matches nothing any more.
    assert await page(client, target="ACCOUNT", terms=["metadata.tier=gold"]) == []
    assert [a["ledger"] for a in await page(client, target="ACCOUNT",
                                            terms=["address=users:001"])] == ["other", "main"]


@pytest.mark.usefixtures("indexed")
async def test_cursor_pages_both_ways(client: httpx.AsyncClient) -> None:
    first = (await search(client, target="TRANSACTION", ledgers=["main"], pageSize=2))["cursor"]
    assert (first["pageSize"], first["hasMore"], first["total"]) == (
        2, True, {"value": 5, "relation": "eq"})
    assert _txids(first["data"]) == [5, 4] and "previous" not in first
    second = (await search(client, cursor=first["next"]))["cursor"]
    assert _txids(second["data"]) == [3, 2] and second["hasMore"]
    third = (await search(client, cursor=second["next"]))["cursor"]
    assert _txids(third["data"]) == [1] and not third["hasMore"] and "next" not in third
    back = (await search(client, cursor=third["previous"]))["cursor"]
    assert _txids(back["data"]) == [3, 2]
    back = (await search(client, cursor=back["previous"]))["cursor"]
    assert _txids(back["data"]) == [5, 4] and "previous" not in back
    # A page size given with a cursor replaces the cursor's.
    bigger = (await search(client, cursor=first["next"], pageSize=10))["cursor"]
    assert _txids(bigger["data"]) == [3, 2, 1]
    # `after`: the first page starts after this sort value.
    assert _txids(await page(client, target="TRANSACTION", ledgers=["main"], after=["3"])) \
        == [2, 1]


@pytest.mark.usefixtures("indexed")
async def test_without_target_every_kind_with_hits(client: httpx.AsyncClient) -> None:
    found = (await search(client, terms=["users:002"], ledgers=["main"]))["data"]
    assert set(found) == {"ACCOUNT", "TRANSACTION", "AUDIT"}
    assert [a["address"] for a in found["ACCOUNT"]] == ["users:002"]
    assert [t["txid"] for t in found["TRANSACTION"]] == [2]
    assert all(a["type"] == "COMMITTED_TRANSACTIONS" for a in found["AUDIT"])


@pytest.mark.usefixtures("indexed")
async def test_audit_holds_every_event(client: httpx.AsyncClient) -> None:
    audit = await page(client, target="AUDIT", ledgers=["main"], pageSize=100)
    assert [a["type"] for a in audit] == [
        "DELETED_METADATA", "SAVED_METADATA", "SAVED_METADATA", "REVERTED_TRANSACTION",
        "COMMITTED_TRANSACTIONS", "COMMITTED_TRANSACTIONS", "COMMITTED_TRANSACTIONS",
        "COMMITTED_TRANSACTIONS"]
    assert {a["app"] for a in audit} == {"ledger"}
    reverted = await page(client, target="AUDIT", terms=["type=REVERTED_TRANSACTION"])
    assert reverted[0]["payload"]["revertedTransaction"]["id"] == 4


async def test_info_shows_the_lag(client: httpx.AsyncClient, database: Database) -> None:
    await create_ledger(client, "main")
    assert (await send(client, "main", posting("world", "a", 1))).status_code == 200
    info = (await client.get("/api/search/_info")).json()
    assert info["version"] and info["indexing"]["pendingEvents"] == 1
    assert info["indexing"]["lagSeconds"] >= 0
    await drain(database)
    info = (await client.get("/api/search/_info")).json()
    assert info["indexing"] == {"lagSeconds": 0, "pendingEvents": 0, "pendingIsExact": True}
    # Served and healthy without Temporal (no task queue): its tables are all it needs.
    assert (await client.get("/api/search/_healthcheck")).status_code == 200
    versions = (await client.get("/versions")).json()["versions"]
    assert {"name": "search", "version": info["version"], "health": True} in versions
    assert SEARCH.endswith("/")


@pytest.mark.usefixtures("indexed")
async def test_broad_queries_page_in_order_past_the_count_cap(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past TOTAL_CAP matches the total is a lower bound and pages are read in sort order
    (the other plan of storage/search/engine.py); the answers are the same."""
    main = {"target": "TRANSACTION", "ledgers": ["main"]}
    before = await search(client, **main, pageSize=2, terms=["asset=EUR"], policy="OR")
    everything = (await search(client, terms=["users"]))["data"]
    monkeypatch.setattr("storage.search.engine.TOTAL_CAP", 2)
    after = await search(client, **main, pageSize=2, terms=["asset=EUR"], policy="OR")
    assert after["cursor"]["data"] == before["cursor"]["data"]
    assert after["cursor"]["total"] == {"value": 2, "relation": "gte"}
    second = (await search(client, cursor=after["cursor"]["next"]))["cursor"]
    assert _txids(second["data"]) == [3]
    assert (await search(client, terms=["users"]))["data"] == everything


async def test_metadata_keys_and_values_with_quotes_and_backslashes(
        client: httpx.AsyncClient, database: Database) -> None:
    await create_ledger(client, "main")
    odd = {'say "hi"': 'it\'s "quoted"', "back\\slash": "a\\b", "dot.ted": "ü ñ"}
    assert (await send(client, "main", posting("world", "a", 1), metadata=odd)).status_code \
        == 200
    await drain(database)
    for key, value in odd.items():
        found = await page(client, target="TRANSACTION", terms=[f"metadata.{key}={value}"])
        assert [t["metadata"] for t in found] == [odd], key
    assert len(await page(client, target="TRANSACTION", terms=['"quoted"'])) == 1
    assert len(await page(client, target="TRANSACTION", terms=["it's"])) == 1
