"""The orchestration test stack: the app plus the orchestration worker on a task queue of its
own (tests/temporal_stack.py ModuleStack), with helpers to create ledgers, wallets and flows
over HTTP, read balances, and record an instance's history for the replay tests."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from config.orchestration import OrchestrationSettings
from storage.database import Database
from tests.replay.recording import write_history
from tests.temporal_stack import ModuleStack, unique_modules
from workflows.orchestration.inputs import instance_workflow_id

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "orchestration"
V2 = "/api/orchestration/v2"
V1 = "/api/orchestration"


class Flows:
    def __init__(self, stack: ModuleStack, http: httpx.AsyncClient) -> None:
        self.stack = stack
        self.http = http
        self.client = stack.client

    async def ledger(self, name: str) -> str:
        r = await self.http.post(f"/api/ledger/v2/{name}", json={})
        assert r.status_code in (204, 201), r.text
        return name

    async def balance(self, ledger: str, address: str, asset: str = "USD/2") -> int:
        r = await self.http.get(f"/api/ledger/v2/{ledger}/accounts/{address}",
                                params={"expand": "volumes"})
        if r.status_code == 404:  # never used: nothing on it
            return 0
        assert r.status_code == 200, r.text
        volumes = r.json()["data"].get("volumes") or {}
        return int(volumes.get(asset, {}).get("balance", 0))

    async def wallet(self, name: str, credit: int = 0) -> str:
        r = await self.http.post("/api/wallets/wallets", json={"name": name, "metadata": {}})
        assert r.status_code == 201, r.text
        wallet_id: str = r.json()["data"]["id"]
        if credit:
            r = await self.http.post(f"/api/wallets/wallets/{wallet_id}/credit",
                                     json={"amount": {"asset": "USD/2", "amount": credit}})
            assert r.status_code == 204, r.text
        return wallet_id

    async def wallet_balance(self, wallet_id: str, asset: str = "USD/2") -> int:
        r = await self.http.get(f"/api/wallets/wallets/{wallet_id}")
        assert r.status_code == 200, r.text
        return int(r.json()["data"]["balances"]["main"]["assets"].get(asset, 0))

    async def flow(self, *stages: dict[str, Any], name: str | None = None) -> str:
        r = await self.http.post(f"{V2}/workflows", json={"name": name, "stages": list(stages)})
        assert r.status_code == 201, r.text
        flow_id: str = r.json()["data"]["id"]
        return flow_id

    async def run(self, flow_id: str, variables: dict[str, str] | None = None, *,
                  wait: bool = True) -> dict[str, Any]:
        r = await self.http.post(f"{V2}/workflows/{flow_id}/instances",
                                 params={"wait": "true" if wait else "false"},
                                 json=variables or {})
        assert r.status_code == 201, r.text
        instance: dict[str, Any] = r.json()["data"]
        return instance

    async def instance(self, instance_id: str) -> dict[str, Any]:
        r = await self.http.get(f"{V2}/instances/{instance_id}")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    async def wait_end(self, instance_id: str) -> dict[str, Any]:
        handle = self.client.get_workflow_handle(instance_workflow_id(instance_id))
        # Failed or cancelled raise: the row says how it ended.
        with contextlib.suppress(Exception):
            await handle.result()
        return await self.instance(instance_id)

    async def record(self, instance_id: str, name: str) -> None:
        """Writes the instance's history for tests/replay (LEDGERFLOW_RECORD_HISTORIES=1)."""
        if os.environ.get("LEDGERFLOW_RECORD_HISTORIES") != "1":
            return
        handle = self.client.get_workflow_handle(instance_workflow_id(instance_id))
        history = await handle.fetch_history()
        HISTORIES.mkdir(parents=True, exist_ok=True)
        write_history(HISTORIES / f"{name}.json", history)


@asynccontextmanager
async def flows_stack(database_url: str, database: Database, temporal_env: Any,
                      temporal_address: str, **orchestration: Any) -> AsyncIterator[Flows]:
    tag = uuid.uuid4().hex[:12]
    modules = dataclasses.replace(unique_modules(), orchestration=OrchestrationSettings(
        **{"task_queue": f"orchestration-test-{tag}", **orchestration}))
    stack = ModuleStack("orchestration", temporal_env, database, database_url,
                        temporal_address, modules)
    async with stack.worker(), stack.http("http://t") as http:
        yield Flows(stack, http)
