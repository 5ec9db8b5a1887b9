"""The hold workflow on the real dev server: its state query, search attributes and summary,
validators refusing actions without touching the ledger, a closed workflow answering HOLD_CLOSED,
and the recording of the histories replayed by tests/replay/test_histories_replay.py
(LEDGERFLOW_RECORD_HISTORIES=1 rewrites them; only for a deliberate, patched() change)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.wallets.temporal import act_on_hold
from domain.errors import DomainError
from domain.wallets.models import Hold
from storage.database import Database
from tests.replay.recording import write_history
from tests.temporal_stack import ModuleStack
from workflows import search_attributes
from workflows.wallets.inputs import (
    CONFIRM_UPDATE,
    STATE_QUERY,
    VOID_UPDATE,
    ConfirmHold,
    HoldState,
    HoldStatus,
    hold_workflow_id,
)

HISTORIES = Path(__file__).resolve().parents[2] / "replay" / "histories" / "wallets"
W = "/api/wallets"


class Env:
    def __init__(self, http: httpx.AsyncClient, app: Any, temporal: Any) -> None:
        self.http = http
        self.app = app
        self.client = temporal.client

    async def hold(self, amount: int = 60, **extra: Any) -> tuple[str, dict[str, Any]]:
        r = await self.http.post(f"{W}/wallets", json={"name": "w", "metadata": {}})
        wid = r.json()["data"]["id"]
        r = await self.http.post(f"{W}/wallets/{wid}/credit",
                                 json={"amount": {"asset": "EUR/2", "amount": 100}})
        assert r.status_code == 204, r.text
        r = await self.http.post(f"{W}/wallets/{wid}/debit", json={
            "amount": {"asset": "EUR/2", "amount": amount}, "pending": True, "metadata": {},
            **extra})
        assert r.status_code == 201, r.text
        return wid, r.json()["data"]

    def handle(self, hold_id: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(hold_workflow_id(hold_id), result_type=HoldState)


@pytest.fixture
async def env(database_url: str, database: Database, temporal_env: Any,
              temporal_address: str) -> AsyncIterator[Env]:
    stack = ModuleStack("wallets", temporal_env, database, database_url, temporal_address)
    async with stack.worker(), stack.http("http://t") as http:
        yield Env(http, stack.app, temporal_env)


async def _record(handle: WorkflowHandle[Any, Any], name: str) -> None:
    if os.environ.get("LEDGERFLOW_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    write_history(HISTORIES / f"{name}.json", history)


async def test_state_search_attributes_and_summary(env: Env) -> None:
    wid, hold = await env.hold()
    handle = env.handle(hold["id"])
    state = await handle.query(STATE_QUERY, result_type=HoldState)
    assert state.status is HoldStatus.OPEN and state.remaining == 60
    assert state.wallet_id == wid and state.asset == "EUR/2"

    described = await handle.describe()
    attrs = described.typed_search_attributes
    assert attrs.get(search_attributes.WALLET_ID) == wid
    assert attrs.get(search_attributes.STATUS) == "OPEN"
    assert await described.static_summary() == f"Hold of 60 EUR/2 on wallet {wid}"

    r = await env.http.post(f"{W}/holds/{hold['id']}/confirm", json={"amount": 15})
    assert r.status_code == 204
    state = await handle.query(STATE_QUERY, result_type=HoldState)
    assert state.remaining == 45 and state.actions == 1
    r = await env.http.post(f"{W}/holds/{hold['id']}/void")
    assert r.status_code == 204
    final = await handle.result()
    assert final.status is HoldStatus.VOIDED and final.remaining == 0 and final.actions == 2
    attrs = (await handle.describe()).typed_search_attributes
    assert attrs.get(search_attributes.STATUS) == "VOIDED"
    await _record(handle, "hold_partial_confirm_then_void")


async def test_validators_refuse_without_acting(env: Env) -> None:
    _, hold = await env.hold(amount=20)
    handle = env.handle(hold["id"])
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(CONFIRM_UPDATE, ConfirmHold(amount=21))
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.type == "INSUFFICIENT_FUND"
    state = await handle.query(STATE_QUERY, result_type=HoldState)
    assert state.actions == 0 and state.remaining == 20

    final = await handle.execute_update(CONFIRM_UPDATE, ConfirmHold(final=True),
                                        result_type=HoldState)
    assert final.status is HoldStatus.CONFIRMED
    await handle.result()
    await _record(handle, "hold_confirm_all")


async def test_action_on_a_finished_workflow_is_hold_closed(env: Env) -> None:
    _, data = await env.hold(amount=10)
    hold = Hold(id=data["id"], wallet_id=data["walletID"], asset="EUR/2", description="",
                destination=None, metadata={}, original_amount=10, remaining=10)
    handle = env.handle(hold.id)
    await handle.execute_update(VOID_UPDATE)
    await handle.result()
    # A request that read the ledger before the void (it still saw 10 remaining).
    request: Any = SimpleNamespace(app=env.app)
    with pytest.raises(DomainError) as refused:
        await act_on_hold(request, hold, CONFIRM_UPDATE, ConfirmHold(), None)
    assert refused.value.code == "HOLD_CLOSED"


async def test_expiry_voids_the_hold(env: Env) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=1)
    wid, hold = await env.hold(amount=30, expiresAt=expires.isoformat())
    handle = env.handle(hold["id"])
    final = await asyncio.wait_for(handle.result(), timeout=30)
    assert final.status is HoldStatus.EXPIRED and final.remaining == 0
    r = await env.http.get(f"{W}/wallets/{wid}/balances/main")
    assert r.json()["data"]["assets"] == {"EUR/2": 100}
    await _record(handle, "hold_expiry")
