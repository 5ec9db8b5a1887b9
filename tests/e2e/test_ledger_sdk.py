"""Ledger v2 driven by the official Formance Python SDK (formance-sdk-python 9.0.1), as a user
would, against the real server: every response is parsed by the SDK's own models, so a field
the contract requires and the server omits (or mistypes) fails here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models import ledger as models
from formance_sdk_python.models.ledger import ErrorsV2ErrorResponse, V2ErrorsEnum
from formance_sdk_python.models.operations import V2ListTransactionsOrder

from domain.ledger.hashing import verify_chain

LEDGER = "e2e"


@pytest.fixture
async def sdk(app_url: str) -> SDK:
    # No security: the server runs with auth off, so the SDK sends no Authorization header.
    client = SDK(server_url=app_url)
    await client.ledger.v2.create_ledger_async(request={
        "ledger": LEDGER, "v2_create_ledger_request": {"metadata": {"team": "e2e"}}})
    return client


def posting(src: str, dst: str, amount: int, asset: str = "USD/2") -> models.V2PostingTypedDict:
    return {"source": src, "destination": dst, "amount": amount, "asset": asset}


async def create(sdk: SDK, body: models.V2PostTransactionTypedDict,
                 **params: object) -> models.V2Transaction:
    res = await sdk.ledger.v2.create_transaction_async(request={
        "ledger": LEDGER, "v2_post_transaction": body, **params})  # type: ignore[typeddict-item]
    assert res.status_code == 200
    assert res.v2_create_transaction_response is not None
    return res.v2_create_transaction_response.data


async def test_ledgers_info_and_stats(sdk: SDK) -> None:
    info = await sdk.ledger.v2.get_info_async()
    assert info.v2_config_info is not None
    assert info.v2_config_info.version

    got = await sdk.ledger.v2.get_ledger_async(request={"ledger": LEDGER})
    assert got.v2_get_ledger_response is not None
    found = got.v2_get_ledger_response.data
    assert (found.name, found.bucket, found.metadata) == (LEDGER, "_default", {"team": "e2e"})
    assert found.features and found.features["HASH_LOGS"] == "SYNC"

    listed = await sdk.ledger.v2.list_ledgers_async(request={"request_body": {}})
    assert listed.v2_ledger_list_response is not None
    assert [x.name for x in listed.v2_ledger_list_response.cursor.data] == [LEDGER]

    await sdk.ledger.v2.update_ledger_metadata_async(request={
        "ledger": LEDGER, "request_body": {"owner": "ops"}})
    await sdk.ledger.v2.delete_ledger_metadata_async(request={"ledger": LEDGER, "key": "team"})
    got = await sdk.ledger.v2.get_ledger_async(request={"ledger": LEDGER})
    assert got.v2_get_ledger_response is not None
    assert got.v2_get_ledger_response.data.metadata == {"owner": "ops"}

    ledger_info = await sdk.ledger.v2.get_ledger_info_async(request={"ledger": LEDGER})
    assert ledger_info.v2_ledger_info_response is not None
    assert ledger_info.v2_ledger_info_response.data.name == LEDGER

    await create(sdk, {"postings": [posting("world", "users:1", 100)], "metadata": {}})
    stats = await sdk.ledger.v2.read_stats_async(request={"ledger": LEDGER})
    assert stats.v2_stats_response is not None
    assert (stats.v2_stats_response.data.accounts,
            stats.v2_stats_response.data.transactions) == (2, 1)


async def test_transactions_accounts_and_metadata(sdk: SDK) -> None:
    past = datetime(2024, 1, 1, tzinfo=UTC)
    tx1 = await create(sdk, {"postings": [posting("world", "users:1", 10_000)],
                             "metadata": {"kind": "deposit"}, "reference": "dep-1",
                             "timestamp": past})
    assert tx1.id == 1 and tx1.reference == "dep-1" and tx1.timestamp == past
    assert tx1.post_commit_volumes is not None
    assert tx1.post_commit_volumes["users:1"]["USD/2"].balance == 10_000

    script = """
vars {
  monetary $amount
  account $merchant
}
send $amount (
  source = @users:1
  destination = {
    10% to @fees
    remaining to $merchant
  }
)
set_tx_meta("kind", "payment")
"""
    tx2 = await create(sdk, {"script": {"plain": script, "vars": {
        "amount": "USD/2 3000", "merchant": "merchants:acme"}}, "metadata": {"order": "42"},
        "runtime": models.Runtime.EXPERIMENTAL_INTERPRETER})
    assert [(p.destination, p.amount) for p in tx2.postings] == [
        ("fees", 300), ("merchants:acme", 2700)]
    assert tx2.metadata == {"kind": "payment", "order": "42"}

    # List with a filter in the body, expanded volumes, explicit ordering.
    listed = await sdk.ledger.v2.list_transactions_async(request={
        "ledger": LEDGER, "request_body": {"$match": {"metadata[kind]": "payment"}},
        "expand": "volumes", "page_size": 10})
    assert listed.v2_transactions_cursor_response is not None
    page = listed.v2_transactions_cursor_response.cursor
    assert [t.id for t in page.data] == [2] and page.has_more is False
    assert page.data[0].post_commit_volumes is not None

    everything = await sdk.ledger.v2.list_transactions_async(request={
        "ledger": LEDGER, "request_body": {}, "reverse": True,
        "order": V2ListTransactionsOrder.EFFECTIVE})
    assert everything.v2_transactions_cursor_response is not None
    assert [t.id for t in everything.v2_transactions_cursor_response.cursor.data] == [1, 2]

    count = await sdk.ledger.v2.count_transactions_async(request={
        "ledger": LEDGER, "request_body": {"$match": {"account": "users:"}}})
    assert count.headers["count"] == ["2"]

    got = await sdk.ledger.v2.get_transaction_async(request={
        "ledger": LEDGER, "id": 2, "expand": "volumes,effectiveVolumes"})
    assert got.v2_get_transaction_response is not None
    assert got.v2_get_transaction_response.data.post_commit_effective_volumes is not None

    await sdk.ledger.v2.add_metadata_on_transaction_async(request={
        "ledger": LEDGER, "id": 1, "request_body": {"checked": "yes"}})
    await sdk.ledger.v2.delete_transaction_metadata_async(request={
        "ledger": LEDGER, "id": 1, "key": "kind"})
    got = await sdk.ledger.v2.get_transaction_async(request={"ledger": LEDGER, "id": 1})
    assert got.v2_get_transaction_response is not None
    assert got.v2_get_transaction_response.data.metadata == {"checked": "yes"}

    # Accounts: one, with volumes; a list filtered on an address pattern; a count.
    await sdk.ledger.v2.add_metadata_to_account_async(request={
        "ledger": LEDGER, "address": "merchants:acme", "request_body": {"tier": "gold"}})
    account = await sdk.ledger.v2.get_account_async(request={
        "ledger": LEDGER, "address": "merchants:acme", "expand": "volumes,effectiveVolumes"})
    assert account.v2_account_response is not None
    acme = account.v2_account_response.data
    assert acme.metadata == {"tier": "gold"}
    assert acme.volumes is not None and acme.volumes["USD/2"].balance == 2700
    assert acme.effective_volumes is not None

    accounts = await sdk.ledger.v2.list_accounts_async(request={
        "ledger": LEDGER, "request_body": {"$match": {"address": "users:"}},
        "expand": "volumes"})
    assert accounts.v2_accounts_cursor_response is not None
    users = accounts.v2_accounts_cursor_response.cursor.data
    assert [a.address for a in users] == ["users:1"]
    assert users[0].volumes is not None and users[0].volumes["USD/2"].balance == 7000

    counted = await sdk.ledger.v2.count_accounts_async(request={
        "ledger": LEDGER, "request_body": {}})
    assert counted.headers["count"] == ["4"]

    await sdk.ledger.v2.delete_account_metadata_async(request={
        "ledger": LEDGER, "address": "merchants:acme", "key": "tier"})


async def test_revert_balances_volumes_and_logs(sdk: SDK) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    await create(sdk, {"postings": [posting("world", "users:1", 500)], "metadata": {}})
    tx = await create(sdk, {"postings": [posting("users:1", "users:2", 200)], "metadata": {}})

    reverted = await sdk.ledger.v2.revert_transaction_async(request={
        "ledger": LEDGER, "id": tx.id, "at_effective_date": True})
    assert reverted.status_code == 201
    assert reverted.v2_create_transaction_response is not None
    revert = reverted.v2_create_transaction_response.data
    assert [(p.source, p.destination) for p in revert.postings] == [("users:2", "users:1")]
    assert revert.metadata == {"com.formance.spec/state/reverts": str(tx.id)}
    assert revert.timestamp == tx.timestamp
    original = await sdk.ledger.v2.get_transaction_async(request={"ledger": LEDGER, "id": tx.id})
    assert original.v2_get_transaction_response is not None
    assert original.v2_get_transaction_response.data.reverted is True

    balances = await sdk.ledger.v2.get_balances_aggregated_async(request={
        "ledger": LEDGER, "request_body": {"$match": {"address": "users:"}}})
    assert balances.v2_aggregate_balances_response is not None
    assert balances.v2_aggregate_balances_response.data == {"USD/2": 500}

    volumes = await sdk.ledger.v2.get_volumes_with_balances_async(request={
        "ledger": LEDGER, "request_body": {}, "start_time": start,
        "end_time": datetime.now(UTC) + timedelta(minutes=1), "group_by": 1})
    assert volumes.v2_volumes_with_balance_cursor_response is not None
    rows = {(v.account, v.asset): (v.input, v.output, v.balance)
            for v in volumes.v2_volumes_with_balance_cursor_response.cursor.data}
    # In the window: the deposit, the payment and its revert (back-dated into the window).
    assert rows[("users", "USD/2")] == (900, 400, 500)
    assert rows[("world", "USD/2")] == (0, 500, -500)

    logs = await sdk.ledger.v2.list_logs_async(request={
        "ledger": LEDGER, "request_body": {}, "sort": "id:asc", "page_size": 50})
    assert logs.v2_logs_cursor_response is not None
    entries = logs.v2_logs_cursor_response.cursor.data
    assert [(e.id, e.type) for e in entries] == [
        (1, models.V2LogType.NEW_TRANSACTION), (2, models.V2LogType.NEW_TRANSACTION),
        (3, models.V2LogType.REVERTED_TRANSACTION)]
    # The hash chain, verified from what the SDK hands back.
    body = logs.raw_response.json()["cursor"]["data"]
    assert [e.hash for e in entries] == [doc["hash"] for doc in body]
    assert verify_chain(body) is None


async def test_bulk(sdk: SDK) -> None:
    res = await sdk.ledger.v2.create_bulk_async(request={
        "ledger": LEDGER, "atomic": True, "request_body": [
            {"action": "CREATE_TRANSACTION", "ik": "b-1",
             "data": {"postings": [posting("world", "users:1", 50)], "metadata": {}}},
            {"action": "CREATE_TRANSACTION",
             "data": {"script": {"plain": "send [USD/2 20] (source=@users:1 destination=@b)"},
                      "metadata": {}}},
            {"action": "ADD_METADATA",
             "data": {"target_type": models.V2TargetType.TRANSACTION, "target_id": 1,
                      "metadata": {"via": "bulk"}}},
            {"action": "ADD_METADATA",
             "data": {"target_type": models.V2TargetType.ACCOUNT, "target_id": "users:1",
                      "metadata": {"via": "bulk"}}},
            {"action": "REVERT_TRANSACTION", "data": {"id": 2, "metadata": {}}},
            {"action": "DELETE_METADATA",
             "data": {"target_type": models.V2TargetType.ACCOUNT, "target_id": "users:1",
                      "key": "via"}},
        ]})
    assert res.status_code == 200
    assert res.v2_bulk_response is not None
    types = [type(e).__name__ for e in res.v2_bulk_response.data]
    assert types == ["V2BulkElementResultCreateTransaction"] * 2 + [
        "V2BulkElementResultAddMetadata"] * 2 + [
        "V2BulkElementResultRevertTransaction", "V2BulkElementResultDeleteMetadata"], types

    # A failed element: 400 with per-element results, which the SDK parses as a bulk response.
    failed = await sdk.ledger.v2.create_bulk_async(request={
        "ledger": LEDGER, "continue_on_failure": True, "request_body": [
            {"action": "CREATE_TRANSACTION",
             "data": {"postings": [posting("nobody", "b", 1)], "metadata": {}}},
            {"action": "CREATE_TRANSACTION",
             "data": {"postings": [posting("world", "b", 1)], "metadata": {}}}]})
    assert failed.status_code == 400
    assert failed.v2_bulk_response is not None
    error, ok = failed.v2_bulk_response.data
    assert isinstance(error, models.V2BulkElementResultError)
    assert error.error_code == "INSUFFICIENT_FUND"
    assert isinstance(ok, models.V2BulkElementResultCreateTransaction)


async def test_errors_surface_with_formance_codes(sdk: SDK) -> None:
    async def code_of(call: object) -> V2ErrorsEnum:
        with pytest.raises(ErrorsV2ErrorResponse) as caught:
            await call  # type: ignore[misc]
        return caught.value.data.error_code

    v2 = sdk.ledger.v2
    assert await code_of(v2.create_transaction_async(request={
        "ledger": LEDGER, "v2_post_transaction": {
            "postings": [posting("users:9", "b", 1)], "metadata": {}}})
    ) == V2ErrorsEnum.INSUFFICIENT_FUND
    assert await code_of(v2.create_transaction_async(request={
        "ledger": LEDGER, "v2_post_transaction": {
            "script": {"plain": "send [USD/2 1] (source = @world"}, "metadata": {}}})
    ) == V2ErrorsEnum.COMPILATION_FAILED
    assert await code_of(v2.get_transaction_async(request={"ledger": LEDGER, "id": 99})
                         ) == V2ErrorsEnum.NOT_FOUND
    assert await code_of(v2.get_ledger_async(request={"ledger": "missing"})
                         ) == V2ErrorsEnum.LEDGER_NOT_FOUND
    assert await code_of(v2.create_ledger_async(request={
        "ledger": LEDGER, "v2_create_ledger_request": {}})
                         ) == V2ErrorsEnum.LEDGER_ALREADY_EXISTS
    await create(sdk, {"postings": [posting("world", "a", 1)], "metadata": {},
                       "reference": "once"})
    assert await code_of(v2.create_transaction_async(request={
        "ledger": LEDGER, "v2_post_transaction": {
            "postings": [posting("world", "a", 1)], "metadata": {}, "reference": "once"}})
    ) == V2ErrorsEnum.CONFLICT
    await create(sdk, {"postings": [posting("a", "b", 1)], "metadata": {}})  # `a` is empty now
    assert await code_of(v2.revert_transaction_async(request={"ledger": LEDGER, "id": 1})
                         ) == V2ErrorsEnum.INSUFFICIENT_FUND
    await v2.revert_transaction_async(request={"ledger": LEDGER, "id": 1, "force": True})
    assert await code_of(v2.revert_transaction_async(request={"ledger": LEDGER, "id": 1})
                         ) == V2ErrorsEnum.ALREADY_REVERT
    assert await code_of(v2.list_transactions_async(request={
        "ledger": LEDGER, "request_body": {"$nope": {}}})) == V2ErrorsEnum.VALIDATION


async def test_idempotency_and_dry_run(sdk: SDK) -> None:
    body: models.V2PostTransactionTypedDict = {
        "postings": [posting("world", "users:1", 5)], "metadata": {},
        "timestamp": datetime(2024, 5, 1, tzinfo=UTC)}
    dry = await create(sdk, body, dry_run=True)
    assert dry.id == 1
    first = await sdk.ledger.v2.create_transaction_async(request={
        "ledger": LEDGER, "v2_post_transaction": body, "idempotency_key": "ik-1"})
    again = await sdk.ledger.v2.create_transaction_async(request={
        "ledger": LEDGER, "v2_post_transaction": body, "idempotency_key": "ik-1"})
    assert first.v2_create_transaction_response is not None
    assert again.v2_create_transaction_response is not None
    assert again.v2_create_transaction_response.data.id == \
        first.v2_create_transaction_response.data.id == 1
    assert again.raw_response.headers["Idempotency-Hit"] == "true"
