"""The reindex command rebuilds, from the source tables alone, the documents the events made:
the same objects for every target. A run stopped after some chunks resumes after the last one
it committed, and the progress bar reports each source."""

from __future__ import annotations

import io
from typing import Any

import httpx
from sqlalchemy import text

from storage.database import Database
from storage.search.reindex import SOURCES, reindex_chunk
from tests.integration.ledger.helpers import create_ledger, posting, send
from tests.integration.search.helpers import drain, page
from tests.integration.search.test_search_payments import _connector, _payment
from workers.search_reindex import reindex

L = "/api/ledger/v2"
P = "/api/payments/v3"


async def _documents(database: Database) -> list[tuple[Any, ...]]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT kind, ledger, doc_id, data, indexed, sort_value, search_text "
            "FROM search_documents ORDER BY kind, ledger, doc_id"))).all()
    return [tuple(r) for r in rows]


async def _wipe(database: Database) -> None:
    async with database.transaction() as conn:
        await conn.execute(text("DELETE FROM search_documents"))


async def _write(client: httpx.AsyncClient, database: Database) -> None:
    await create_ledger(client, "main")
    for n in range(5):
        r = await send(client, "main", posting("world", f"users:{n}", 10 + n),
                       metadata={"n": str(n)}, reference=f"ref-{n}")
        assert r.status_code == 200, r.text
    assert (await client.post(f"{L}/main/transactions/2/revert")).status_code == 201
    r = await client.post(f"{L}/main/accounts/users:1/metadata", json={"vip": "yes"})
    assert r.status_code == 204
    connector = await _connector(database)
    for n in range(3):
        r = await client.post(f"{P}/payments", json=_payment(connector.id, f"p-{n}", 100 * n))
        assert r.status_code == 201, r.text
    r = await client.post(f"{P}/bank-accounts", json={"name": "Acme", "country": "FR",
                                                      "metadata": {"owner": "acme"}})
    assert r.status_code == 201, r.text


async def test_reindex_rebuilds_what_the_events_built(client: httpx.AsyncClient,
                                                      database: Database) -> None:
    await _write(client, database)
    await drain(database)
    from_events = await _documents(database)
    assert {d[0] for d in from_events} == {"ACCOUNT", "TRANSACTION", "PAYMENT",
                                           "PAYMENT_BANK_ACCOUNT", "AUDIT"}
    await _wipe(database)
    out = io.StringIO()
    written = await reindex(database, batch_size=1000, out=out)
    assert written == len(from_events)
    assert await _documents(database) == from_events
    progress = out.getvalue()
    assert all(f"{s.name} " in progress for s in SOURCES) and "100%" in progress
    # Run again: every source is done; --restart rebuilds.
    assert await reindex(database, batch_size=1000, out=io.StringIO()) == 0
    assert await reindex(database, batch_size=1000, restart=True,
                         out=io.StringIO()) == len(from_events)
    # Search answers from the rebuilt index, and later events apply on top of it.
    assert (await send(client, "main", posting("world", "users:9", 1))).status_code == 200
    await drain(database)
    found = await page(client, target="TRANSACTION", terms=["metadata.n=3"])
    assert [t["reference"] for t in found] == ["ref-3"]
    assert len(await page(client, target="TRANSACTION")) == 7


async def test_a_stopped_reindex_resumes_after_its_last_chunk(client: httpx.AsyncClient,
                                                             database: Database) -> None:
    await _write(client, database)
    await drain(database)
    expected = await _documents(database)
    await _wipe(database)
    transactions = SOURCES[0]
    assert await reindex_chunk(database, transactions, 2) == 2
    assert await reindex_chunk(database, transactions, 2) == 2  # then the run "dies"
    assert len(await _documents(database)) == 4
    written = await reindex(database, batch_size=2, out=io.StringIO())
    assert written == len(expected) - 4
    assert await _documents(database) == expected


async def test_the_command_line(client: httpx.AsyncClient, database: Database,
                                database_url: str) -> None:
    """`python -m workers search-reindex`: progress per source on stderr, the count at the end,
    exit 0; nothing on stdout."""
    import asyncio
    import os
    import sys

    await _write(client, database)
    env = dict(os.environ, DATABASE_URL=database_url, LOG_LEVEL="WARNING")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "workers", "search-reindex", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    assert out == b""
    lines = err.decode().splitlines()
    assert any(line.startswith("ledger_transactions ") and "100%" in line for line in lines)
    assert lines[-1].startswith("search-reindex: ") and lines[-1].endswith("documents written")
    assert len(await page(client, target="TRANSACTION")) == 6
