"""Ledger v1 (the legacy API under /api/ledger) driven by the official Formance Python SDK
(formance-sdk-python 9.0.1, `sdk.ledger.v1`), as a user would, against the real server: every
response is parsed by the SDK's own models, so a field the v1 contract requires and the server
omits (or mistypes) fails here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models import ledger as models
from formance_sdk_python.models.ledger import ErrorsEnum, ErrorsErrorResponse

LEDGER = "e2e-v1"


@pytest.fixture
def sdk(app_url: str) -> SDK:
    # No security: the server runs with auth off. v1 creates the ledger on first use.
    return SDK(server_url=app_url)


def posting(src: str, dst: str, amount: int, asset: str = "USD/2") -> models.PostingTypedDict:
    return {"source": src, "destination": dst, "amount": amount, "asset": asset}


async def create(sdk: SDK, body: models.PostTransactionTypedDict) -> models.Transaction:
    res = await sdk.ledger.v1.create_transaction_async(request={
        "ledger": LEDGER, "post_transaction": body})
    assert res.status_code == 200
    assert res.transactions_response is not None
    [tx] = res.transactions_response.data
    return tx


async def test_info_transactions_and_metadata(sdk: SDK) -> None:
    v1 = sdk.ledger.v1
    # The first write creates the ledger.
    tx1 = await create(sdk, {"postings": [posting("world", "users:1", 10_000)],
                             "metadata": {"kind": "deposit"}, "reference": "dep-1"})
    assert (tx1.txid, tx1.reference, tx1.metadata) == (0 + 1, "dep-1", {"kind": "deposit"})
    assert tx1.post_commit_volumes is not None
    assert tx1.post_commit_volumes["users:1"]["USD/2"].balance == 10_000

    info = await v1.get_info_async()
    assert info.config_info_response is not None
    assert info.config_info_response.data.server == "ledger"
    assert LEDGER in info.config_info_response.data.config.storage.ledgers

    ledger_info = await v1.get_ledger_info_async(request={"ledger": LEDGER})
    assert ledger_info.ledger_info_response is not None
    assert ledger_info.ledger_info_response.data is not None
    assert ledger_info.ledger_info_response.data.name == LEDGER

    tx2 = await create(sdk, {"script": {
        "plain": "vars {\n monetary $amount\n account $dest\n}\n"
                 "send $amount (\n source = @users:1\n destination = $dest\n)\n",
        "vars": {"amount": {"amount": 2500, "asset": "USD/2"}, "dest": "merchants:acme"}},
        "metadata": {"kind": "payment"}})
    assert [(p.source, p.destination, p.amount) for p in tx2.postings] == [
        ("users:1", "merchants:acme", 2500)]

    # Filters are plain query parameters.
    listed = await v1.list_transactions_async(request={
        "ledger": LEDGER, "account": "merchants:acme", "page_size": 10})
    assert listed.transactions_cursor_response is not None
    page = listed.transactions_cursor_response.cursor
    assert [t.txid for t in page.data] == [tx2.txid] and page.has_more is False
    by_meta = await v1.list_transactions_async(request={
        "ledger": LEDGER, "metadata": {"kind": "deposit"}})
    assert by_meta.transactions_cursor_response is not None
    assert [t.txid for t in by_meta.transactions_cursor_response.cursor.data] == [tx1.txid]
    everything = await v1.list_transactions_async(request={
        "ledger": LEDGER, "start_time": datetime.now(UTC) - timedelta(hours=1)})
    assert everything.transactions_cursor_response is not None
    assert [t.txid for t in everything.transactions_cursor_response.cursor.data] == [2, 1]

    counted = await v1.count_transactions_async(request={"ledger": LEDGER, "source": "users:1"})
    assert counted.headers["count"] == ["1"]
    # (countTransactions' `metadata` filter cannot be sent with this SDK: its model of the
    # parameter declares no field, so pydantic drops the caller's keys before the request.)

    # Cursor pagination: page_size, then the `next` token alone.
    first = await v1.list_transactions_async(request={"ledger": LEDGER, "page_size": 1})
    assert first.transactions_cursor_response is not None
    cursor = first.transactions_cursor_response.cursor
    assert [t.txid for t in cursor.data] == [2] and cursor.has_more and cursor.next
    second = await v1.list_transactions_async(request={"ledger": LEDGER, "cursor": cursor.next})
    assert second.transactions_cursor_response is not None
    assert [t.txid for t in second.transactions_cursor_response.cursor.data] == [1]

    # preview: the would-be transaction, nothing written.
    preview = await v1.create_transaction_async(request={
        "ledger": LEDGER, "preview": True, "post_transaction": {
            "postings": [posting("world", "users:3", 1)]}})
    assert preview.transactions_response is not None
    assert preview.transactions_response.data[0].txid == 3

    got = await v1.get_transaction_async(request={"ledger": LEDGER, "txid": tx2.txid})
    assert got.transaction_response is not None
    assert got.transaction_response.data.metadata == {"kind": "payment"}

    await v1.add_metadata_on_transaction_async(request={
        "ledger": LEDGER, "txid": tx1.txid, "request_body": {"checked": "yes"}})
    got = await v1.get_transaction_async(request={"ledger": LEDGER, "txid": tx1.txid})
    assert got.transaction_response is not None
    assert got.transaction_response.data.metadata == {"kind": "deposit", "checked": "yes"}

    reverted = await v1.revert_transaction_async(request={"ledger": LEDGER, "txid": tx2.txid})
    assert reverted.status_code == 201
    assert reverted.transaction_response is not None
    revert = reverted.transaction_response.data
    assert [(p.source, p.destination) for p in revert.postings] == [
        ("merchants:acme", "users:1")]
    assert revert.metadata == {"com.formance.spec/state/reverts": str(tx2.txid)}
    # users:1 spent the deposit's funds: only disableChecks reverts the deposit.
    await create(sdk, {"postings": [posting("users:1", "out", 10_000)], "metadata": {}})
    with pytest.raises(ErrorsErrorResponse) as caught:
        await v1.revert_transaction_async(request={"ledger": LEDGER, "txid": tx1.txid})
    assert caught.value.data.error_code == ErrorsEnum.INSUFFICIENT_FUND
    forced = await v1.revert_transaction_async(request={
        "ledger": LEDGER, "txid": tx1.txid, "disable_checks": True})
    assert forced.transaction_response is not None

    stats = await v1.read_stats_async(request={"ledger": LEDGER})
    assert stats.stats_response is not None
    assert (stats.stats_response.data.accounts, stats.stats_response.data.transactions) == (4, 5)


async def test_accounts_balances_and_logs(sdk: SDK) -> None:
    v1 = sdk.ledger.v1
    await create(sdk, {"postings": [posting("world", "users:1", 700),
                                    posting("world", "users:2", 300, "EUR/2")],
                       "metadata": {}})
    await v1.add_metadata_to_account_async(request={
        "ledger": LEDGER, "address": "users:1", "request_body": {"tier": "gold"}})

    accounts = await v1.list_accounts_ledger_async(request={
        "ledger": LEDGER, "address": "users:", "page_size": 10})
    assert accounts.accounts_cursor_response is not None
    assert [a.address for a in accounts.accounts_cursor_response.cursor.data] == [
        "users:1", "users:2"]
    gold = await v1.list_accounts_ledger_async(request={
        "ledger": LEDGER, "metadata": {"tier": "gold"}})
    assert gold.accounts_cursor_response is not None
    assert [a.address for a in gold.accounts_cursor_response.cursor.data] == ["users:1"]
    counted = await v1.count_accounts_async(request={"ledger": LEDGER})
    assert counted.headers["count"] == ["3"]

    account = await v1.get_account_ledger_async(request={"ledger": LEDGER, "address": "users:1"})
    assert account.account_response is not None
    found = account.account_response.data
    assert found.metadata == {"tier": "gold"}
    assert found.balances == {"USD/2": 700}
    assert found.volumes is not None and found.volumes["USD/2"].input == 700
    # v1: an unknown account is an empty one, not a 404.
    unknown = await v1.get_account_ledger_async(request={"ledger": LEDGER, "address": "nobody"})
    assert unknown.account_response is not None
    assert (unknown.account_response.data.address, unknown.account_response.data.balances,
            unknown.account_response.data.metadata) == ("nobody", {}, {})

    balances = await v1.get_balances_async(request={"ledger": LEDGER, "address": "users:"})
    assert balances.balances_cursor_response is not None
    assert balances.balances_cursor_response.cursor.data == [
        {"users:1": {"USD/2": 700}}, {"users:2": {"EUR/2": 300}}]
    aggregated = await v1.get_balances_aggregated_async(request={
        "ledger": LEDGER, "address": "users:"})
    assert aggregated.aggregate_balances_response is not None
    assert aggregated.aggregate_balances_response.data == {"USD/2": 700, "EUR/2": 300}

    rich = await v1.list_accounts_ledger_async(request={"ledger": LEDGER, "balance": 500})
    assert rich.accounts_cursor_response is not None
    assert [a.address for a in rich.accounts_cursor_response.cursor.data] == ["users:1"]

    logs = await v1.list_logs_async(request={
        "ledger": LEDGER, "page_size": 10, "start_time": datetime.now(UTC) - timedelta(hours=1),
        "end_time": datetime.now(UTC) + timedelta(hours=1)})
    assert logs.logs_cursor_response is not None
    entries = logs.logs_cursor_response.cursor.data
    assert [(e.id, e.type) for e in entries] == [
        (2, models.LogType.SET_METADATA), (1, models.LogType.NEW_TRANSACTION)]
    assert all(e.hash for e in entries)


async def test_mapping_and_script(sdk: SDK) -> None:
    v1 = sdk.ledger.v1
    empty = await v1.get_mapping_async(request={"ledger": LEDGER})
    assert empty.mapping_response is not None and empty.mapping_response.data is None

    # The SDK models a contract's `expr` as an object without fields: whatever expression the
    # caller gives, it sends `{}` (the server stores what it receives).
    mapping: models.MappingTTypedDict = {"contracts": [{"account": "users:*", "expr": {}}]}
    saved = await v1.update_mapping_async(request={"ledger": LEDGER, "mapping": mapping})
    assert saved.mapping_response is not None
    assert isinstance(saved.mapping_response.data, models.MappingT)
    assert saved.mapping_response.data.contracts[0].account == "users:*"
    got = await v1.get_mapping_async(request={"ledger": LEDGER})
    assert got.mapping_response is not None
    assert isinstance(got.mapping_response.data, models.MappingT)
    assert [c.account for c in got.mapping_response.data.contracts] == ["users:*"]

    ran = await v1.run_script_async(request={"ledger": LEDGER, "script": {
        "plain": "send [COIN 10] (\n source = @world\n destination = @users:1\n)",
        "reference": "scr-1", "metadata": {"via": "script"}}})
    assert ran.script_response is not None and ran.script_response.transaction is not None
    assert ran.script_response.error_code is None
    assert ran.script_response.transaction.reference == "scr-1"
    # The deprecated route answers a failed script with 200 and the error fields.
    failed = await v1.run_script_async(request={"ledger": LEDGER, "script": {
        "plain": "send [COIN 10] (\n source = @users:2\n destination = @users:1\n)"}})
    assert failed.script_response is not None
    assert failed.script_response.error_code == ErrorsEnum.INSUFFICIENT_FUND
    assert failed.script_response.transaction is None


async def test_errors_surface_with_v1_codes(sdk: SDK) -> None:
    v1 = sdk.ledger.v1

    async def code_of(call: object) -> ErrorsEnum:
        with pytest.raises(ErrorsErrorResponse) as caught:
            await call  # type: ignore[misc]
        return caught.value.data.error_code

    assert await code_of(v1.create_transaction_async(request={
        "ledger": LEDGER, "post_transaction": {
            "postings": [posting("users:9", "b", 1)], "metadata": {}}})
    ) == ErrorsEnum.INSUFFICIENT_FUND
    assert await code_of(v1.create_transaction_async(request={
        "ledger": LEDGER, "post_transaction": {"metadata": {}}})) == ErrorsEnum.NO_SCRIPT
    assert await code_of(v1.create_transaction_async(request={
        "ledger": LEDGER, "post_transaction": {
            "script": {"plain": "send [USD/2 1] (source = @world"}, "metadata": {}}})
    ) == ErrorsEnum.COMPILATION_FAILED
    assert await code_of(v1.get_transaction_async(request={"ledger": LEDGER, "txid": 99})
                         ) == ErrorsEnum.NOT_FOUND
    await create(sdk, {"postings": [posting("world", "a", 1)], "reference": "once"})
    assert await code_of(v1.create_transaction_async(request={
        "ledger": LEDGER, "post_transaction": {
            "postings": [posting("world", "a", 1)], "reference": "once"}})
    ) == ErrorsEnum.CONFLICT
    # A batch fails as a whole with the v1 code of its failing transaction.
    assert await code_of(v1.create_transactions_async(request={
        "ledger": LEDGER, "transactions": {"transactions": [
            {"postings": [posting("world", "a", 1)]},
            {"postings": [posting("world", "a", 1)], "reference": "once"}]}})
    ) == ErrorsEnum.CONFLICT
