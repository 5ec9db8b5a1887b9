"""Every refusal of POST /api/search/ is a 400 VALIDATION in the Formance error format that says
what to fix, never a 500: unknown target, terms that do not parse, page sizes out of range,
cursors that were edited, `raw` (there is no Elasticsearch), bodies of the wrong shape."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from storage.database import Database
from tests.integration.ledger.helpers import create_ledger, posting, send
from tests.integration.search.helpers import SEARCH, assert_refused, drain, search


@pytest.mark.parametrize(("body", "words"), [
    ({"target": "WALLET"}, ("unknown target", "ACCOUNT")),
    ({"target": 3}, ("unknown target",)),
    ({"terms": ["=x"]}, ("no key",)),
    ({"terms": ["address="]}, ("no value",)),
    ({"terms": ["amount>lots"]}, ("numbers or ISO 8601",)),
    ({"terms": ["metadata=x"]}, ("metadata.<key>",)),
    ({"terms": ["   "]}, ("empty",)),
    ({"terms": "address=x"}, ("terms must be a list",)),
    ({"terms": [1]}, ("terms must be a list",)),
    ({"pageSize": -1}, ("pageSize",)),
    ({"pageSize": 1001}, ("pageSize", "1000")),
    ({"pageSize": "ten"}, ("pageSize",)),
    ({"policy": "XOR"}, ("AND or OR",)),
    ({"sort": "txid:sideways"}, ("sort",)),
    ({"ledgers": "main"}, ("ledgers must be a list",)),
    ({"raw": {"query": {"match_all": {}}}}, ("no Elasticsearch", "terms")),
    ({"cursor": "not a cursor!"}, ("invalid cursor",)),
    ({"cursor": 12}, ("invalid cursor",)),
])
async def test_bad_queries_are_400(client: httpx.AsyncClient, body: dict[str, object],
                                   words: tuple[str, ...]) -> None:
    assert_refused(await client.post(SEARCH, json=body), *words)


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'"ACCOUNT"'])
async def test_bodies_that_are_not_a_query_object(client: httpx.AsyncClient,
                                                  content: bytes) -> None:
    r = await client.post(SEARCH, content=content, headers={"content-type": "application/json"})
    assert_refused(r)


async def test_an_edited_cursor_is_refused(client: httpx.AsyncClient,
                                           database: Database) -> None:
    await create_ledger(client, "main")
    for n in range(3):
        assert (await send(client, "main", posting("world", f"a:{n}", 1))).status_code == 200
    await drain(database)
    token = (await search(client, target="ACCOUNT", pageSize=1))["cursor"]["next"]
    assert (await client.post(SEARCH, json={"cursor": token})).status_code == 200
    state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for edit in ({"n": 1000}, {"q": {"target": "TRANSACTION"}}, {"k": ["zzz", "", "zzz"]}):
        forged = base64.urlsafe_b64encode(json.dumps({**state, **edit}).encode()).decode()
        assert_refused(await client.post(SEARCH, json={"cursor": forged}), "invalid cursor")
    assert_refused(await client.post(SEARCH, json={"cursor": token[:-3]}), "invalid cursor")


@pytest.mark.parametrize("term", ["&", "'", "\\", "a:*b", "(", "!x | y", "50%", "_", "* *",
                                  "é", "x" * 1000, "a\tb"])
async def test_free_text_of_any_characters_answers(client: httpx.AsyncClient,
                                                   term: str) -> None:
    """Free text is data, never syntax: tsquery operators, LIKE wildcards and quotes in it
    are matched as characters (an empty answer, not a 500)."""
    for body in ({"target": "TRANSACTION", "terms": [term]}, {"terms": [term]}):
        r = await client.post(SEARCH, json=body)
        assert r.status_code == 200, r.text
