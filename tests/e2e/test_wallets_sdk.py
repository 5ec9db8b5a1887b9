"""The official Formance Python SDK against Ledgerflow served by uvicorn (in a background thread,
on a free port), with a wallets worker running: a wallet is created, credited, debited, and a
hold is created and confirmed, all through `sdk.wallets.v1`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from formance_sdk_python import SDK

from storage.database import Database
from tests.e2e.conftest import ServeApp
from tests.temporal_stack import ModuleStack, unique_modules


@pytest.fixture
def served(serve_app: ServeApp, temporal_address: str) -> tuple[str, str]:
    """The whole gateway app on a real socket, and the wallets task queue it starts holds on."""
    modules = unique_modules()
    url = serve_app(module_settings=modules, temporal_address=temporal_address)
    return url, modules.wallets.task_queue


async def test_wallet_credit_debit_and_hold_with_the_sdk(
        served: tuple[str, str], database: Database, database_url: str, temporal_address: str,
        temporal_env: Any) -> None:
    url, queue = served
    sdk = SDK(server_url=url)
    # The served app owns its pool on uvicorn's loop; the worker is the module's own, as in
    # every other Temporal test, on the served app's task queue.
    stack = ModuleStack("wallets", temporal_env, database, database_url, temporal_address,
                        modules=unique_modules(wallets={"task_queue": queue}))
    async with stack.worker():
        w = sdk.wallets.v1
        info = await w.get_server_info_wallets_async()
        assert info.status_code == 200

        created = await w.create_wallet_async(request={
            "create_wallet_request": {"name": "sdk-wallet", "metadata": {"team": "e2e"}},
            "idempotency_key": f"e2e-{uuid.uuid4()}",
        })
        assert created.create_wallet_response is not None
        wallet = created.create_wallet_response.data
        assert wallet.name == "sdk-wallet" and wallet.metadata == {"team": "e2e"}

        r = await w.credit_wallet_async(request={"id": wallet.id, "credit_wallet_request": {
            "amount": {"asset": "USD/2", "amount": 1000}, "metadata": {"src": "sdk"},
        }})
        assert r.status_code == 204
        r = await w.debit_wallet_async(request={"id": wallet.id, "debit_wallet_request": {
            "amount": {"asset": "USD/2", "amount": 100}, "metadata": {},
            "destination": {"type": "ACCOUNT", "identifier": "shop"},
        }})
        assert r.status_code == 204

        held = await w.debit_wallet_async(request={"id": wallet.id, "debit_wallet_request": {
            "amount": {"asset": "USD/2", "amount": 300}, "metadata": {}, "pending": True,
            "description": "pre-auth",
        }})
        assert held.status_code == 201 and held.debit_wallet_response is not None
        hold = held.debit_wallet_response.data
        assert hold.wallet_id == wallet.id and hold.asset == "USD/2"

        got = await w.get_hold_async(request={"hold_id": hold.id})
        assert got.get_hold_response is not None
        assert got.get_hold_response.data.remaining == 300
        assert got.get_hold_response.data.original_amount == 300

        r = await w.confirm_hold_async(request={"hold_id": hold.id, "confirm_hold_request": {
            "amount": 200, "final": True}})
        assert r.status_code == 204

        fetched = await w.get_wallet_async(request={"id": wallet.id})
        assert fetched.get_wallet_response is not None
        assert fetched.get_wallet_response.data.balances.main.assets == {"USD/2": 700}
        summary = await w.get_wallet_summary_async(request={"id": wallet.id})
        assert summary.get_wallet_summary_response is not None
        assert summary.get_wallet_summary_response.data.available_funds == {"USD/2": 700}
        holds = await w.get_holds_async(request={"wallet_id": wallet.id})
        assert holds.get_holds_response is not None
        assert [h.id for h in holds.get_holds_response.cursor.data] == [hold.id]
        txs = await w.get_transactions_async(request={"wallet_id": wallet.id})
        assert txs.get_transactions_response is not None
        assert len(txs.get_transactions_response.cursor.data) == 4
        listed = await w.list_wallets_async(request={"name": "sdk-wallet"})
        assert listed.list_wallets_response is not None
        assert [x.id for x in listed.list_wallets_response.cursor.data] == [wallet.id]
