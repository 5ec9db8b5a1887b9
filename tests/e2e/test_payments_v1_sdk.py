"""The official Formance Python SDK drives the legacy payments API (`sdk.payments.v1`) against
Ledgerflow served by uvicorn, with a payments worker on real Temporal: a dummypay connector
installed, listed, its config and tasks read; accounts, payments, pools and bank accounts
created and read back (a forward answered with the connector's account); transfer initiations
validated to PROCESSED and partly reversed, rejected, deleted; a connector transfer; the config
updated, the connector reset and uninstalled, by id and by provider: all 44 v1 calls. Every
call goes through the SDK's own request and response models, so the shapes it sends and parses
are the contract."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models import payments as m

from config.modules import ModuleSettings
from storage.database import Database
from tests.e2e.conftest import ServeApp
from tests.temporal_stack import ModuleStack, unique_modules

T = TypeVar("T")


@pytest.fixture
def modules() -> ModuleSettings:
    return unique_modules(payments={"min_polling_period": 1})


@pytest.fixture
def served(serve_app: ServeApp, temporal_address: str, modules: ModuleSettings) -> str:
    return serve_app(module_settings=modules, temporal_address=temporal_address)


async def _until(check: Callable[[], Awaitable[T | None]], what: str) -> T:
    deadline = time.monotonic() + 60
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


# The provider-only calls are deprecated in the spec (and the SDK warns): called on purpose.
@pytest.mark.filterwarnings("ignore:.*DEPRECATED:DeprecationWarning")
async def test_payments_v1_with_the_sdk(served: str, database: Database, database_url: str,
                                        temporal_env: Any, temporal_address: str,
                                        modules: ModuleSettings, tmp_path: Path) -> None:
    (tmp_path / "accounts.json").write_text(json.dumps(
        [{"reference": "acc-0", "createdAt": "2025-01-01T00:00:00Z", "name": "Main",
          "defaultAsset": "EUR/2"}]))
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=modules)
    v1 = SDK(server_url=served).payments.v1
    async with stack.worker():
        info = await v1.get_server_info_payments_async()
        assert info.server_info is not None and info.server_info.version
        configs = await v1.list_configs_available_connectors_async()
        assert configs.connectors_configs_response is not None
        assert configs.connectors_configs_response.data["DUMMY-PAY"]["directory"].required

        installed = await v1.install_connector_async(request={
            "connector": m.Connector.DUMMY_PAY,
            "connector_config": {"provider": "Dummypay", "name": "sdk",
                                 "directory": str(tmp_path)}})
        assert installed.status_code == 201 and installed.connector_response is not None
        cid = installed.connector_response.data.connector_id
        listed = await v1.list_all_connectors_async()
        assert listed.connectors_response is not None
        assert [(c.provider, c.connector_id, c.enabled)
                for c in listed.connectors_response.data] == [(m.Connector.DUMMY_PAY, cid,
                                                               True)]
        config = await v1.read_connector_config_v1_async(request={
            "connector": m.Connector.DUMMY_PAY, "connector_id": cid})
        assert config.connector_config_response is not None
        data = config.connector_config_response.data
        assert isinstance(data, m.DummyPayConfig) and data.directory == str(tmp_path)

        async def tasks() -> list[Any] | None:
            got = await v1.list_connector_tasks_v1_async(request={
                "connector": m.Connector.DUMMY_PAY, "connector_id": cid})
            assert got.tasks_cursor is not None
            # One per periodic fetch: accounts, external accounts, balances, payments,
            # orders and conversions.
            return got.tasks_cursor.cursor.data if len(got.tasks_cursor.cursor.data) == 6 \
                else None

        task = (await _until(tasks, "the connector's tasks"))[0]
        one = await v1.get_connector_task_v1_async(request={
            "connector": m.Connector.DUMMY_PAY, "connector_id": cid, "task_id": task.id})
        assert one.task_response is not None and one.task_response.data.id == task.id

        async def ingested() -> list[m.Account] | None:
            got = await v1.list_accounts_payments_async(request={})
            assert got.accounts_cursor is not None
            return got.accounts_cursor.cursor.data or None

        [main] = await _until(ingested, "the file's account")
        assert (main.reference, main.account_name, main.provider) == ("acc-0", "Main",
                                                                      "DUMMY-PAY")
        when = datetime(2025, 3, 1, tzinfo=UTC)
        created = await v1.create_account_async(request={
            "reference": "acc-1", "connector_id": cid, "created_at": when,
            "type": m.AccountType.INTERNAL, "account_name": "Second",
            "default_asset": "EUR/2", "metadata": {"via": "sdk"}})
        assert created.account_response is not None
        second = created.account_response.data
        got_account = await v1.get_account_payments_async(request={"account_id": second.id})
        assert got_account.account_response is not None
        assert got_account.account_response.data.metadata == {"via": "sdk"}
        balances = await v1.get_account_balances_async(request={"account_id": main.id})
        assert balances.balances_cursor is not None

        payment = await v1.create_payment_async(request={
            "reference": "sdk-pay", "connector_id": cid, "created_at": when, "amount": 2500,
            "type": m.PaymentType.PAYOUT, "status": m.PaymentStatus.SUCCEEDED,
            "scheme": m.PaymentScheme.SEPA_CREDIT, "asset": "EUR/2",
            "source_account_id": main.id})
        assert payment.payment_response is not None
        pay = payment.payment_response.data
        assert (pay.status, pay.scheme, pay.amount) == (
            m.PaymentStatus.SUCCEEDED, m.PaymentScheme.SEPA_CREDIT, 2500)
        assert (await v1.update_metadata_async(request={
            "payment_id": pay.id, "request_body": {"k": "v"}})).status_code == 204
        got_payment = await v1.get_payment_async(request={"payment_id": pay.id})
        assert got_payment.payment_response is not None
        assert got_payment.payment_response.data.metadata == {"k": "v"}
        payments = await v1.list_payments_async(request={"page_size": 10})
        assert payments.payments_cursor is not None
        assert [p.id for p in payments.payments_cursor.cursor.data] == [pay.id]

        pool = await v1.create_pool_async(request={"name": "sdk", "account_i_ds": [main.id]})
        assert pool.pool_response is not None
        pool_id = pool.pool_response.data.id
        assert (await v1.add_account_to_pool_async(request={
            "pool_id": pool_id, "add_account_to_pool_request": {"account_id": second.id}})
                ).status_code == 204
        got_pool = await v1.get_pool_async(request={"pool_id": pool_id})
        assert got_pool.pool_response is not None
        assert sorted(got_pool.pool_response.data.accounts) == sorted([main.id, second.id])
        latest = await v1.get_pool_balances_latest_async(request={"pool_id": pool_id})
        assert latest.pool_balances_latest_response is not None
        at = await v1.get_pool_balances_async(request={"pool_id": pool_id,
                                                       "at": datetime.now(UTC)})
        assert at.pool_balances_response is not None
        assert (await v1.remove_account_from_pool_async(request={
            "pool_id": pool_id, "account_id": second.id})).status_code == 204
        pools = await v1.list_pools_async(request={})
        assert pools.pools_cursor is not None
        assert [p.id for p in pools.pools_cursor.cursor.data] == [pool_id]
        assert (await v1.delete_pool_async(request={"pool_id": pool_id})).status_code == 204
        dynamic = await v1.create_pool_async(request={
            "name": "dyn", "query": {"$match": {"reference": "nothing"}}})
        assert dynamic.pool_response is not None
        assert dynamic.pool_response.data.accounts == []
        assert (await v1.update_pool_query_async(request={
            "pool_id": dynamic.pool_response.data.id,
            "update_pool_query_request": {"query": {"$match": {"reference": "acc-1"}}}})
                ).status_code == 204
        requeried = await v1.get_pool_async(request={"pool_id": dynamic.pool_response.data.id})
        assert requeried.pool_response is not None
        assert requeried.pool_response.data.accounts == [second.id]

        bank = await v1.create_bank_account_async(request={
            "name": "SDK bank", "country": "DE", "iban": "DE89370400440532013000"})
        assert bank.bank_account_response is not None
        bank_id = bank.bank_account_response.data.id
        assert (await v1.update_bank_account_metadata_async(request={
            "bank_account_id": bank_id,
            "update_bank_account_metadata_request": {"metadata": {"k": "v"}}})
                ).status_code == 204
        forwarded = await v1.forward_bank_account_async(request={
            "bank_account_id": bank_id, "forward_bank_account_request": {"connector_id": cid}})
        assert forwarded.bank_account_response is not None
        fwd = forwarded.bank_account_response.data
        assert fwd.connector_id == cid and fwd.metadata == {"k": "v"}
        assert [r.connector_id for r in fwd.related_accounts or []] == [cid]
        banks = await v1.list_bank_accounts_async(request={})
        assert banks.bank_accounts_cursor is not None
        got_bank = await v1.get_bank_account_async(request={"bank_account_id": bank_id})
        assert got_bank.bank_account_response is not None

        await _transfer_initiations(v1, cid, main.id, second.id)

        assert (await v1.update_connector_config_v1_async(request={
            "connector": m.Connector.DUMMY_PAY, "connector_id": cid,
            "connector_config": {"provider": "Dummypay", "name": "sdk",
                                 "directory": str(tmp_path)}})
                ).status_code == 204
        # The paths that name only the provider: its single connector.
        by_provider = await v1.read_connector_config_async(request={
            "connector": m.Connector.DUMMY_PAY})
        assert by_provider.connector_config_response is not None
        provider_tasks = await v1.list_connector_tasks_async(request={
            "connector": m.Connector.DUMMY_PAY})
        assert provider_tasks.tasks_cursor is not None
        assert len(provider_tasks.tasks_cursor.cursor.data) == 6
        provider_task = await v1.get_connector_task_async(request={
            "connector": m.Connector.DUMMY_PAY, "task_id": task.id})
        assert provider_task.task_response is not None

        assert (await v1.reset_connector_v1_async(request={
            "connector": m.Connector.DUMMY_PAY, "connector_id": cid})).status_code == 204
        first_reset = await _until(lambda: _replaced(v1, cid), "the reset connector")
        assert (await v1.reset_connector_async(request={
            "connector": m.Connector.DUMMY_PAY})).status_code == 204
        second_reset = await _until(lambda: _replaced(v1, first_reset), "the second reset")

        other = await v1.install_connector_async(request={
            "connector": m.Connector.DUMMY_PAY,
            "connector_config": {"provider": "Dummypay", "name": "other",
                                 "directory": str(tmp_path)}})
        assert other.connector_response is not None
        assert (await v1.uninstall_connector_v1_async(request={
            "connector": m.Connector.DUMMY_PAY,
            "connector_id": other.connector_response.data.connector_id})).status_code == 204
        await _until(lambda: _replaced(v1, ""), "the other connector uninstalled")
        assert (await v1.uninstall_connector_async(request={
            "connector": m.Connector.DUMMY_PAY})).status_code == 204

        async def gone() -> bool:
            got = await v1.list_all_connectors_async()
            assert got.connectors_response is not None
            return got.connectors_response.data == []

        await _until(gone, f"{second_reset} uninstalled")


async def _replaced(v1: Any, old: str) -> str | None:
    """The one connector listed, once it is not `old`."""
    got = await v1.list_all_connectors_async()
    assert got.connectors_response is not None
    found = [c.connector_id for c in got.connectors_response.data]
    return found[0] if len(found) == 1 and found[0] != old else None


async def _transfer_initiations(v1: Any, cid: str, source: str, destination: str) -> None:
    def body(reference: str) -> dict[str, Any]:
        return {"reference": reference, "connector_id": cid,
                "scheduled_at": datetime(1, 1, 1, tzinfo=UTC), "description": "sdk",
                "source_account_id": source, "destination_account_id": destination,
                "type": m.TransferInitiationRequestType.TRANSFER, "amount": 1000,
                "asset": "EUR/2", "validated": False}

    created = await v1.create_transfer_initiation_async(request=body("sdk-ti-1"))
    assert created.transfer_initiation_response is not None
    ti = created.transfer_initiation_response.data
    assert ti.status == m.TransferInitiationStatus.WAITING_FOR_VALIDATION
    assert (await v1.update_transfer_initiation_status_async(request={
        "transfer_id": ti.id, "update_transfer_initiation_status_request": {
            "status": m.Status.VALIDATED}})).status_code == 204

    async def status(wanted: m.TransferInitiationStatus) -> m.TransferInitiation | None:
        got = await v1.get_transfer_initiation_async(request={"transfer_id": ti.id})
        assert got.transfer_initiation_response is not None
        data: m.TransferInitiation = got.transfer_initiation_response.data
        return data if data.status == wanted else None

    done = await _until(lambda: status(m.TransferInitiationStatus.PROCESSED), "PROCESSED")
    assert [p.status for p in done.related_payments or []] == [m.LegacyPaymentStatus.SUCCEEDED]
    with pytest.raises(m.PaymentsErrorResponse) as refused:
        await v1.retry_transfer_initiation_async(request={"transfer_id": ti.id})
    assert refused.value.data.error_code == m.PaymentsErrorsEnum.VALIDATION
    assert (await v1.reverse_transfer_initiation_async(request={
        "transfer_id": ti.id, "reverse_transfer_initiation_request": {
            "reference": "sdk-refund", "description": "half", "amount": 400,
            "asset": "EUR/2", "metadata": {}}})).status_code == 204
    partly = await _until(lambda: status(m.TransferInitiationStatus.PARTIALLY_REVERSED),
                          "PARTIALLY_REVERSED")
    assert [a.status for a in partly.related_adjustments or []][:3] == [
        m.TransferInitiationStatus.PARTIALLY_REVERSED,
        m.TransferInitiationStatus.REVERSE_PROCESSING, m.TransferInitiationStatus.ASK_REVERSED]

    rejected = await v1.create_transfer_initiation_async(request=body("sdk-ti-2"))
    assert rejected.transfer_initiation_response is not None
    rid = rejected.transfer_initiation_response.data.id
    assert (await v1.update_transfer_initiation_status_async(request={
        "transfer_id": rid, "update_transfer_initiation_status_request": {
            "status": m.Status.REJECTED}})).status_code == 204
    deleted = await v1.create_transfer_initiation_async(request=body("sdk-ti-3"))
    assert deleted.transfer_initiation_response is not None
    assert (await v1.delete_transfer_initiation_async(request={
        "transfer_id": deleted.transfer_initiation_response.data.id})).status_code == 204
    with pytest.raises(m.PaymentsErrorResponse) as missing:
        await v1.get_transfer_initiation_async(request={
            "transfer_id": deleted.transfer_initiation_response.data.id})
    assert missing.value.data.error_code == m.PaymentsErrorsEnum.NOT_FOUND

    transfer = await v1.connectors_transfer_async(request={
        "connector": m.Connector.DUMMY_PAY,
        "transfer_request": {"amount": 100, "asset": "EUR/2", "destination": "acc-0"}})
    assert transfer.transfer_response is not None and transfer.transfer_response.id
    listed = await v1.list_transfer_initiations_async(request={"page_size": 10})
    assert listed.transfer_initiations_cursor is not None
    statuses = {t.id: t.status for t in listed.transfer_initiations_cursor.cursor.data}
    assert statuses[ti.id] == m.TransferInitiationStatus.PARTIALLY_REVERSED
    assert statuses[rid] == m.TransferInitiationStatus.REJECTED
    assert transfer.transfer_response.id in statuses
