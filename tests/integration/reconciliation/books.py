"""Real books for reconciliation tests: a ledger whose `bank:*` accounts mirror a PSP (money in
the bank is owed to users, so the mirror accounts hold it negative), written through the ledger
API with past timestamps, and the PSP's accounts with balances at given times stored through
the payments store (as a connector's fetch would store them), grouped in a pool over HTTP. The
reconciliation stack runs the real API and the module's worker (tests/temporal_stack.py) on a
task queue of its own."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from config.reconciliation import ReconciliationSettings
from domain.payments import ids
from domain.payments.models import AccountType, Balance, Connector
from domain.payments.plugin import PSPAccount
from domain.payments.service import to_account
from storage.database import Database
from storage.payments.store import PgPaymentsStore
from tests.temporal_stack import ModuleStack, unique_modules

R = "/api/reconciliation"
L = "/api/ledger/v2"
P = "/api/payments/v3"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
T = TypeVar("T")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def stack(temporal_env: Any, database: Database, database_url: str, temporal_address: str,
          **settings: Any) -> ModuleStack:
    modules = dataclasses.replace(unique_modules(), reconciliation=ReconciliationSettings(
        task_queue=f"reconciliation-test-{uuid.uuid4().hex[:12]}", **settings))
    return ModuleStack("reconciliation", temporal_env, database, database_url,
                       temporal_address, modules=modules)


@asynccontextmanager
async def running(temporal_env: Any, database: Database, database_url: str,
                  temporal_address: str, **settings: Any
                  ) -> AsyncIterator[tuple[ModuleStack, httpx.AsyncClient]]:
    s = stack(temporal_env, database, database_url, temporal_address, **settings)
    async with s.worker(), s.http() as http:
        yield s, http


class Books:
    """One ledger and one PSP connector whose internal accounts form a pool."""

    def __init__(self, http: httpx.AsyncClient, database: Database, ledger: str = "main"
                 ) -> None:
        self.http = http
        self.store = PgPaymentsStore(database)
        self.ledger = ledger
        self.connector = ids.ConnectorID("generic", str(uuid.uuid4()))
        self.accounts: dict[str, str] = {}

    async def open(self, *refs: str) -> str:
        """The ledger, the PSP accounts `refs` and a pool of them; the pool id."""
        r = await self.http.post(f"{L}/{self.ledger}")
        assert r.status_code in (201, 204), r.text
        cid = self.connector
        await self.store.create_connector(Connector(
            id=str(cid), reference=cid.reference, name=f"psp-{cid.reference[:8]}",
            provider="generic", created_at=T0, config={}))
        accounts = {ref: to_account(cid, PSPAccount(reference=ref, created_at=T0),
                                    AccountType.INTERNAL) for ref in refs}
        await self.store.save_page(str(cid), "FETCH_ACCOUNTS", {}, list(accounts.values()),
                                   [], [])
        self.accounts = {ref: a.id for ref, a in accounts.items()}
        r = await self.http.post(f"{P}/pools", json={
            "name": "psp", "accountIDs": list(self.accounts.values())})
        assert r.status_code == 201, r.text
        return str(r.json()["data"])

    async def psp_balance(self, ref: str, asset: str, amount: int, when: datetime) -> None:
        await self.store.save_page(str(self.connector), "FETCH_BALANCES", {}, [], [Balance(
            account_id=self.accounts[ref], asset=asset, balance=amount, created_at=when,
            last_updated_at=when)], [])

    async def book(self, source: str, destination: str, asset: str, amount: int,
                   when: datetime) -> None:
        """A ledger transaction at `when` (force: the mirror accounts go negative)."""
        r = await self.http.post(f"{L}/{self.ledger}/transactions", params={"force": "true"},
                                 json={"postings": [{"source": source,
                                                     "destination": destination,
                                                     "asset": asset, "amount": amount}],
                                       "timestamp": iso(when)})
        assert r.status_code == 200, r.text

    async def policy(self, pool: str, query: dict[str, Any] | None = None) -> str:
        r = await self.http.post(f"{R}/policies", json={
            "name": "bank vs psp", "ledgerName": self.ledger,
            "ledgerQuery": query if query is not None else {"$match": {"address": "bank:"}},
            "paymentsPoolID": pool})
        assert r.status_code == 201, r.text
        return str(r.json()["data"]["id"])


async def eventually(check: Callable[[], Awaitable[T | None]], what: str,
                     within: float = 60) -> T:
    deadline = time.monotonic() + within
    while True:
        try:
            result = await check()
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)
