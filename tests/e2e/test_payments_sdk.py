"""The official Formance Python SDK drives payments v3 against Ledgerflow served by uvicorn (a
background thread, a free port), with a payments worker and the fake PSP on real HTTP: the
generic connector is installed, its accounts, balances and payments are read back, a pool of
its accounts adds up their balances, and the connector is uninstalled, all through
`sdk.payments.v3`; a payment initiation is created, approved, read and listed with it, and a
payment service user is created, forwarded to dummypay, linked (the user following the link)
and deleted."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from formance_sdk_python import SDK

from config.modules import ModuleSettings
from domain.payments import ids
from domain.payments.models import Account, AccountType, Connector
from storage.database import Database
from storage.payments.store import PgPaymentsStore
from tests.e2e.conftest import ServeApp
from tests.support.payments_fake_psp import serve_fake_psp
from tests.temporal_stack import ModuleStack, unique_modules
from workers.fake_psp import FakePSP


@pytest.fixture
def modules() -> ModuleSettings:
    return unique_modules(payments={"min_polling_period": 1})


@pytest.fixture
def served(serve_app: ServeApp, temporal_address: str, modules: ModuleSettings) -> str:
    return serve_app(module_settings=modules, temporal_address=temporal_address)


async def test_install_read_and_uninstall_with_the_sdk(
        served: str, database: Database, database_url: str, temporal_env: Any,
        temporal_address: str, modules: ModuleSettings) -> None:
    psp = FakePSP(api_key="k")
    psp.seed(seed=3, accounts=2, beneficiaries=1, payments=12)
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=modules)
    v3 = SDK(server_url=served).payments.v3
    async with serve_fake_psp(psp) as psp_url, stack.worker():
        configs = await v3.list_connector_configs_async()
        assert configs.status_code == 200

        installed = await v3.install_connector_async(request={
            "connector": "generic",
            "v3_connector_config": {"provider": "Generic", "name": "sdk", "apiKey": "k",
                                    "endpoint": psp_url, "pollingPeriod": "2s"}})
        assert installed.status_code == 202
        assert installed.v3_install_connector_response is not None
        cid = installed.v3_install_connector_response.data

        config = await v3.get_connector_config_async(request={"connector_id": cid})
        assert config.v3_get_connector_config_response is not None
        assert config.v3_get_connector_config_response.data.endpoint == psp_url

        deadline = time.monotonic() + 60
        while True:
            listed = await v3.list_payments_async(request={"page_size": 100})
            assert listed.v3_payments_cursor_response is not None
            payments = listed.v3_payments_cursor_response.cursor.data
            accounts = (await v3.list_accounts_async(request={"page_size": 100})) \
                .v3_accounts_cursor_response
            assert accounts is not None
            if len(payments) == 12 and len(accounts.cursor.data) == 3:
                break
            assert time.monotonic() < deadline, f"{len(payments)} payments so far"
            await asyncio.sleep(0.3)
        by_ref = {p.reference: p for p in payments}
        assert {r: by_ref[r].amount for r in by_ref} == \
            {r: int(tx["amount"]) for r, tx in psp.transactions.items()}
        one = await v3.get_payment_async(request={"payment_id": by_ref["tx-0"].id})
        assert one.v3_get_payment_response is not None
        assert one.v3_get_payment_response.data.reference == "tx-0"

        internal = next(a for a in accounts.cursor.data if a.reference == "acc-1")
        got = await v3.get_account_async(request={"account_id": internal.id})
        assert got.v3_get_account_response is not None
        while True:
            balances = await v3.get_account_balances_async(request={"account_id": internal.id})
            assert balances.v3_balances_cursor_response is not None
            if balances.v3_balances_cursor_response.cursor.data:
                break
            assert time.monotonic() < deadline, "no balance"
            await asyncio.sleep(0.3)
        [balance] = balances.v3_balances_cursor_response.cursor.data
        assert balance.balance == int(psp.balances["acc-1"][0]["amount"])

        # A pool of the two internal accounts: its latest balances add theirs up.
        internals = [a.id for a in accounts.cursor.data if a.type == "INTERNAL"]
        created = await v3.create_pool_async(request={"name": "sdk-pool",
                                                      "account_i_ds": internals})
        assert created.status_code == 201 and created.v3_create_pool_response is not None
        pool_id = created.v3_create_pool_response.data
        pool = await v3.get_pool_async(request={"pool_id": pool_id})
        assert pool.v3_get_pool_response is not None
        assert sorted(pool.v3_get_pool_response.data.pool_accounts) == sorted(internals)
        while True:
            latest = await v3.get_pool_balances_latest_async(request={"pool_id": pool_id})
            assert latest.v3_pool_balances_response is not None
            sums = {b.asset: b.amount for b in latest.v3_pool_balances_response.data}
            expected: dict[str, int] = {}
            for b in (psp.balances["acc-0"][0], psp.balances["acc-1"][0]):
                expected[b["currency"]] = expected.get(b["currency"], 0) + int(b["amount"])
            if sums == expected:
                break
            assert time.monotonic() < deadline, sums
            await asyncio.sleep(0.3)

        connectors = await v3.list_connectors_async(request={})
        assert connectors.v3_connectors_cursor_response is not None
        assert [c.id for c in connectors.v3_connectors_cursor_response.cursor.data] == [cid]

        removed = await v3.uninstall_connector_async(request={"connector_id": cid})
        assert removed.status_code == 202
        assert removed.v3_uninstall_connector_response is not None
        task_id = removed.v3_uninstall_connector_response.data.task_id
        while True:
            task = await v3.get_task_async(request={"task_id": task_id})
            assert task.v3_get_task_response is not None
            status = task.v3_get_task_response.data.status
            if status == "SUCCEEDED":
                break
            assert status == "PROCESSING" and time.monotonic() < deadline
            await asyncio.sleep(0.3)
        after = await v3.list_payments_async(request={})
        assert after.v3_payments_cursor_response is not None
        assert after.v3_payments_cursor_response.cursor.data == []


async def test_created_objects_and_bank_account_forward_with_the_sdk(
        served: str, database: Database, database_url: str, temporal_env: Any,
        temporal_address: str, modules: ModuleSettings, tmp_path: Path) -> None:
    """Accounts and payments created by hand on a dummypay connector, a dynamic pool of its
    accounts, a bank account created, given metadata and forwarded to it (the task reports the
    external account), through `sdk.payments.v3`: the SDK sends its own shapes and parses
    ours."""
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=modules)
    v3 = SDK(server_url=served).payments.v3
    async with stack.worker():
        installed = await v3.install_connector_async(request={
            "connector": "dummypay",
            "v3_connector_config": {"provider": "Dummypay", "name": "sdk-files",
                                    "directory": str(tmp_path), "pollingPeriod": "2s"}})
        assert installed.v3_install_connector_response is not None
        cid = installed.v3_install_connector_response.data
        when = datetime(2025, 3, 1, tzinfo=UTC)

        account = await v3.create_account_async(request={
            "reference": "sdk-acc", "connector_id": cid, "created_at": when,
            "account_name": "SDK account", "type": "INTERNAL", "default_asset": "EUR/2",
            "metadata": {"via": "sdk"}})
        assert account.status_code == 201 and account.v3_create_account_response is not None
        assert account.v3_create_account_response.data.name == "SDK account"

        payment = await v3.create_payment_async(request={
            "reference": "sdk-pay", "connector_id": cid, "created_at": when, "type": "PAYOUT",
            "initial_amount": 2500, "amount": 2500, "asset": "EUR/2", "scheme": "SEPA",
            "source_account_id": account.v3_create_account_response.data.id,
            "adjustments": [{"reference": "sdk-pay", "created_at": when,
                             "status": "SUCCEEDED", "amount": 2500, "asset": "EUR/2"}]})
        assert payment.status_code == 201 and payment.v3_create_payment_response is not None
        created = payment.v3_create_payment_response.data
        assert (created.amount, created.status) == (2500, "SUCCEEDED")

        # A dynamic pool: the connector's accounts, whatever they are when it is read.
        pool = await v3.create_pool_async(request={
            "name": "sdk-dynamic", "query": {"$match": {"reference": "nothing-yet"}}})
        assert pool.v3_create_pool_response is not None
        pool_id = pool.v3_create_pool_response.data
        requeried = await v3.update_pool_query_async(request={
            "pool_id": pool_id,
            "v3_update_pool_query_request": {"query": {"$match": {"connector_id": cid}}}})
        assert requeried.status_code == 204
        got_pool = await v3.get_pool_async(request={"pool_id": pool_id})
        assert got_pool.v3_get_pool_response is not None
        assert got_pool.v3_get_pool_response.data.type == "DYNAMIC"
        assert got_pool.v3_get_pool_response.data.pool_accounts == \
            [account.v3_create_account_response.data.id]

        bank = await v3.create_bank_account_async(request={
            "name": "SDK bank", "iban": "DE89370400440532013000", "country": "DE"})
        assert bank.status_code == 201 and bank.v3_create_bank_account_response is not None
        bank_id = bank.v3_create_bank_account_response.data
        updated = await v3.update_bank_account_metadata_async(request={
            "bank_account_id": bank_id,
            "v3_update_bank_account_metadata_request": {"metadata": {"k": "v"}}})
        assert updated.status_code == 204
        forwarded = await v3.forward_bank_account_async(request={
            "bank_account_id": bank_id,
            "v3_forward_bank_account_request": {"connector_id": cid}})
        assert forwarded.status_code == 202
        assert forwarded.v3_forward_bank_account_response is not None
        task_id = forwarded.v3_forward_bank_account_response.data.task_id
        deadline = time.monotonic() + 60
        while True:
            task = await v3.get_task_async(request={"task_id": task_id})
            assert task.v3_get_task_response is not None
            if task.v3_get_task_response.data.status == "SUCCEEDED":
                break
            assert task.v3_get_task_response.data.status == "PROCESSING"
            assert time.monotonic() < deadline
            await asyncio.sleep(0.3)
        got = await v3.get_bank_account_async(request={"bank_account_id": bank_id})
        assert got.v3_get_bank_account_response is not None
        data = got.v3_get_bank_account_response.data
        assert data.metadata == {"k": "v"}
        assert [r.account_id for r in data.related_accounts or []] == \
            [task.v3_get_task_response.data.created_object_id]
        listed = await v3.list_bank_accounts_async(request={})
        assert listed.v3_bank_accounts_cursor_response is not None
        assert [b.id for b in listed.v3_bank_accounts_cursor_response.cursor.data] == [bank_id]


async def test_payment_initiation_create_approve_get_list_with_the_sdk(
        served: str, database: Database, database_url: str, temporal_env: Any,
        temporal_address: str, modules: ModuleSettings, tmp_path: Path) -> None:
    store = PgPaymentsStore(database)
    cid = ids.ConnectorID("dummypay", str(uuid.uuid4()))
    await store.create_connector(Connector(
        id=str(cid), reference=cid.reference, name="d", provider="dummypay",
        created_at=datetime.now(UTC), config={"name": "d", "directory": str(tmp_path)}))
    accounts = [(await store.create_account(Account(
        id=ids.account_id(cid, ref), connector_id=str(cid), provider="dummypay",
        reference=ref, created_at=datetime.now(UTC), type=AccountType.INTERNAL))).id
        for ref in ("from", "to")]
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=modules)
    v3 = SDK(server_url=served).payments.v3
    async with stack.worker():
        request: Any = {"v3_initiate_payment_request": {
            "reference": "sdk-payout-1", "connector_id": str(cid), "type": "PAYOUT",
            "amount": 2500, "asset": "USD/2", "description": "from the SDK",
            "source_account_id": accounts[0], "destination_account_id": accounts[1],
            # The SDK requires scheduledAt: Go's zero time means "not scheduled".
            "scheduled_at": datetime(1, 1, 1, tzinfo=UTC), "metadata": {"via": "sdk"}}}
        created = await v3.initiate_payment_async(request=request)
        assert created.status_code == 202, created
        assert created.v3_initiate_payment_response is not None
        pid = created.v3_initiate_payment_response.data.payment_initiation_id
        assert pid is not None

        got = await v3.get_payment_initiation_async(request={"payment_initiation_id": pid})
        assert got.v3_get_payment_initiation_response is not None
        assert got.v3_get_payment_initiation_response.data.status == "WAITING_FOR_VALIDATION"

        approved = await v3.approve_payment_initiation_async(
            request={"payment_initiation_id": pid})
        assert approved.status_code == 202
        assert approved.v3_approve_payment_initiation_response is not None
        task_id = approved.v3_approve_payment_initiation_response.data.task_id

        deadline = time.monotonic() + 60
        while True:
            got = await v3.get_payment_initiation_async(
                request={"payment_initiation_id": pid})
            assert got.v3_get_payment_initiation_response is not None
            data = got.v3_get_payment_initiation_response.data
            if data.status == "PROCESSED":
                break
            assert time.monotonic() < deadline, data.status
            await asyncio.sleep(0.2)
        assert (data.amount, data.asset, data.type, data.metadata) == (
            2500, "USD/2", "PAYOUT", {"via": "sdk"})
        task = await v3.get_task_async(request={"task_id": task_id})
        assert task.v3_get_task_response is not None
        assert task.v3_get_task_response.data.status == "SUCCEEDED"

        listed = await v3.list_payment_initiations_async(request={"page_size": 10})
        assert listed.v3_payment_initiations_cursor_response is not None
        assert [p.id for p in listed.v3_payment_initiations_cursor_response.cursor.data] == \
            [pid]
        adjustments = await v3.list_payment_initiation_adjustments_async(
            request={"payment_initiation_id": pid})
        assert adjustments.v3_payment_initiation_adjustments_cursor_response is not None
        assert [a.status for a in
                adjustments.v3_payment_initiation_adjustments_cursor_response.cursor.data] == \
            ["PROCESSED", "PROCESSING", "WAITING_FOR_VALIDATION"]
        related = await v3.list_payment_initiation_related_payments_async(
            request={"payment_initiation_id": pid})
        assert related.v3_payment_initiation_related_payments_cursor_response is not None
        [payment] = related.v3_payment_initiation_related_payments_cursor_response.cursor.data
        assert payment.id == task.v3_get_task_response.data.created_object_id


async def test_payment_service_user_and_link_flow_with_the_sdk(
        served: str, database: Database, database_url: str, temporal_env: Any,
        temporal_address: str, modules: ModuleSettings, tmp_path: Path) -> None:
    store = PgPaymentsStore(database)
    cid = ids.ConnectorID("dummypay", str(uuid.uuid4()))
    await store.create_connector(Connector(
        id=str(cid), reference=cid.reference, name="d", provider="dummypay",
        created_at=datetime.now(UTC), config={"name": "d", "directory": str(tmp_path)}))
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=modules)
    v3 = SDK(server_url=served).payments.v3
    async with stack.worker():
        body: Any = {"name": "Ada", "contact_details": {"email": "ada@example.com"},
                     "address": {"city": "Paris"}, "metadata": {"k": "v"}}
        created = await v3.create_payment_service_user_async(request=body)
        assert created.status_code == 201
        assert created.v3_create_payment_service_user_response is not None
        psu_id = created.v3_create_payment_service_user_response.data
        got = await v3.get_payment_service_user_async(
            request={"payment_service_user_id": psu_id})
        assert got.v3_get_payment_service_user_response is not None
        psu = got.v3_get_payment_service_user_response.data
        assert psu.name == "Ada" and psu.contact_details is not None
        assert psu.contact_details.email == "ada@example.com"

        keys: Any = {"payment_service_user_id": psu_id, "connector_id": str(cid)}
        forwarded = await v3.forward_payment_service_user_to_provider_async(request=keys)
        assert forwarded.status_code == 204
        link: Any = {**keys, "v3_payment_service_user_create_link_request": {
            "client_redirect_url": "https://app.example.com/back"}}
        made = await v3.create_link_for_payment_service_user_async(request=link)
        assert made.status_code == 201
        assert made.v3_payment_service_user_create_link_response is not None
        attempt_id = made.v3_payment_service_user_create_link_response.attempt_id
        # The user follows the link and comes back.
        async with httpx.AsyncClient() as http:
            back = await http.get(made.v3_payment_service_user_create_link_response.link)
        assert back.status_code == 303, back.text
        one: Any = {**keys, "attempt_id": attempt_id}
        attempt = await v3.get_payment_service_user_link_attempt_from_connector_id_async(
            request=one)
        assert attempt.v3_payment_service_user_link_attempt is not None
        assert attempt.v3_payment_service_user_link_attempt.status == "completed"
        connections = await v3.list_payment_service_user_connections_from_connector_id_async(
            request=keys)
        assert connections.v3_payment_service_user_connections_cursor_response is not None
        [connection] = connections.v3_payment_service_user_connections_cursor_response \
            .cursor.data
        assert connection.status == "ACTIVE"
        deleted = await v3.delete_payment_service_user_async(
            request={"payment_service_user_id": psu_id})
        assert deleted.status_code == 202
        assert deleted.v3_payment_service_user_delete_response is not None
        assert deleted.v3_payment_service_user_delete_response.data.task_id
