"""The PostgreSQL store behind Numscript: balances read for a script, including the asset
scaling wildcard `BASE/*`, which stands for every row of BASE and BASE/<decimals>."""

from __future__ import annotations

import httpx

from storage.database import Database
from storage.ledger.store import PgLedgerStore


async def test_wildcard_assets_read_every_scale_of_the_base(client: httpx.AsyncClient,
                                                            database: Database):
    assert (await client.post("/api/ledger/v2/scaling", json={})).status_code == 204
    for amount, asset in ((100, "EUR/2"), (3, "EUR"), (7, "EURX"), (5, "USD/2")):
        resp = await client.post("/api/ledger/v2/scaling/transactions", json={"postings": [
            {"source": "world", "destination": "alice", "amount": amount, "asset": asset}]})
        assert resp.status_code == 200, resp.text
    store = PgLedgerStore(database)
    async with store.writer("scaling", dry_run=True) as w:
        balances = await w.get_balances({"alice": {"EUR/*", "USD/2", "GBP"},
                                         "bob": {"EUR/*"}})
    assert balances == {"alice": {"EUR/2": 100, "EUR": 3, "USD/2": 5, "GBP": 0}, "bob": {}}
