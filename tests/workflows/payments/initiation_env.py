"""The environment of the payment initiation tests: the payments worker on a task queue of its
own, the app over HTTP, a dummypay connector (files in a temporary directory) and a generic one
against the fake PSP on real HTTP, each with two accounts, created straight in the store (the
initiations need no fetch run)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from temporalio.client import Client, WorkflowHandle

from domain.payments import ids
from domain.payments.models import Account, AccountType, Connector
from storage.database import Database
from storage.payments.store import PgPaymentsStore
from tests.replay.recording import write_history
from tests.support.payments_fake_psp import serve_fake_psp
from tests.temporal_stack import ModuleStack, unique_modules
from workers.fake_psp import FakePSP
from workflows.payments.inputs import initiation_workflow_id

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "payments"
P = "/api/payments/v3"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
T = TypeVar("T")


class Connected:
    """A connector and its two accounts (source, destination)."""

    def __init__(self, connector_id: str, source: str, destination: str) -> None:
        self.id = connector_id
        self.source = source
        self.destination = destination

    def body(self, **over: Any) -> dict[str, Any]:
        return {"reference": f"pi-{uuid.uuid4().hex[:8]}", "connectorID": self.id,
                "type": "TRANSFER", "amount": 1000, "asset": "EUR/2",
                "sourceAccountID": self.source, "destinationAccountID": self.destination,
                "description": "rent", "metadata": {"order": "7"}, **over}


class Env:
    def __init__(self, http: httpx.AsyncClient, client: Client, psp: FakePSP, url: str,
                 database: Database, stack: ModuleStack) -> None:
        self.http = http
        self.client = client
        self.psp = psp
        self.url = url
        self.database = database
        self.stack = stack

    async def connector(self, provider: str, config: dict[str, Any]) -> Connected:
        store = PgPaymentsStore(self.database)
        cid = ids.ConnectorID(provider, str(uuid.uuid4()))
        await store.create_connector(Connector(id=str(cid), reference=cid.reference,
                                               name=provider, provider=provider,
                                               created_at=T0, config=config))
        accounts = []
        for ref in ("acc-0", "acc-1"):
            account = await store.create_account(Account(
                id=ids.account_id(cid, ref), connector_id=str(cid), provider=provider,
                reference=ref, created_at=T0, type=AccountType.INTERNAL))
            accounts.append(account.id)
        return Connected(str(cid), accounts[0], accounts[1])

    async def create(self, connected: Connected, *, no_validation: bool = False,
                     **over: Any) -> str:
        r = await self.http.post(f"{P}/payment-initiations",
                                 params={"noValidation": "true"} if no_validation else None,
                                 json=connected.body(**over))
        assert r.status_code == 202, r.text
        return str(r.json()["data"]["paymentInitiationID"])

    async def get(self, initiation_id: str) -> dict[str, Any]:
        r = await self.http.get(f"{P}/payment-initiations/{initiation_id}")
        assert r.status_code == 200, r.text
        return dict(r.json()["data"])

    async def statuses(self, initiation_id: str) -> list[str]:
        """The adjustments' statuses, oldest first."""
        r = await self.http.get(f"{P}/payment-initiations/{initiation_id}/adjustments",
                                params={"pageSize": 100})
        assert r.status_code == 200, r.text
        return [a["status"] for a in reversed(r.json()["cursor"]["data"])]

    async def status(self, initiation_id: str, wanted: str, within: float = 60) -> None:
        async def reached() -> bool:
            got = (await self.get(initiation_id))["status"]
            assert got == wanted, got
            return True
        await eventually(reached, f"{initiation_id} {wanted}", within)

    async def task(self, task_id: str) -> dict[str, Any]:
        r = await self.http.get(f"{P}/tasks/{task_id}")
        assert r.status_code == 200, r.text
        return dict(r.json()["data"])

    async def events(self, event_type: str) -> int:
        async with self.database.engine.connect() as conn:
            return int((await conn.execute(text(
                "SELECT count(*) FROM events_outbox WHERE app = 'payments' AND type = :t"),
                {"t": event_type})).scalar_one())

    def handle(self, initiation_id: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(initiation_workflow_id(initiation_id))

    async def record(self, initiation_id: str, name: str) -> None:
        await self.record_workflow(initiation_workflow_id(initiation_id), name)

    async def record_workflow(self, workflow_id: str, name: str) -> None:
        if os.environ.get("LEDGERFLOW_RECORD_HISTORIES") != "1":
            return
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        write_history(HISTORIES / f"{name}.json", history)


async def eventually(check: Callable[[], Awaitable[T]], what: str, within: float = 60) -> T:
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
        await asyncio.sleep(0.1)


@asynccontextmanager
async def initiation_env(database_url: str, database: Database, temporal_env: Any,
                         temporal_address: str, *, worker: bool = True,
                         **settings: Any) -> AsyncIterator[Env]:
    psp = FakePSP(api_key="secret")
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=unique_modules(payments={"initiation_poll_interval": 0.5,
                                                         **settings}))
    async with serve_fake_psp(psp) as url, stack.http("http://t") as http:
        env = Env(http, temporal_env.client, psp, url, database, stack)
        if worker:
            async with stack.worker():
                yield env
        else:
            yield env
