"""Issue 14 through the official SDK (formance-sdk-python 9.0.1): the v1 batch
(`sdk.ledger.v1.create_transactions`, all or none), v1 logs after writes v1 has no log type for
(parsed by the SDK's v1 `LogType` enum), and v2 `getInfo` parsed as `V2ConfigInfo`."""

from __future__ import annotations

import httpx
import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models import ledger as models
from formance_sdk_python.models.ledger import ErrorsEnum, ErrorsErrorResponse

LEDGER = "e2e-v1-batch"


@pytest.fixture
def sdk(app_url: str) -> SDK:
    return SDK(server_url=app_url)  # auth off; v1 creates the ledger on first use


def posting(src: str, dst: str, amount: int) -> models.PostingTypedDict:
    return {"source": src, "destination": dst, "amount": amount, "asset": "USD/2"}


async def test_v1_batch_is_atomic_through_the_sdk(sdk: SDK) -> None:
    v1 = sdk.ledger.v1
    res = await v1.create_transactions_async(request={"ledger": LEDGER, "transactions": {
        "transactions": [
            {"postings": [posting("world", "users:1", 500)], "reference": "batch-1",
             "metadata": {"kind": "deposit"}},
            {"postings": [posting("users:1", "shop", 200)]},
        ]}})
    assert res.status_code == 200
    assert res.transactions_response is not None
    txs = res.transactions_response.data
    assert [(t.txid, t.reference) for t in txs] == [(1, "batch-1"), (2, None)]
    assert txs[0].metadata == {"kind": "deposit"}
    assert txs[1].post_commit_volumes is not None
    assert txs[1].post_commit_volumes["users:1"]["USD/2"].balance == 300

    # The second transaction overdraws: the first is not written either.
    with pytest.raises(ErrorsErrorResponse) as caught:
        await v1.create_transactions_async(request={"ledger": LEDGER, "transactions": {
            "transactions": [{"postings": [posting("world", "users:2", 50)]},
                             {"postings": [posting("users:2", "shop", 51)]}]}})
    assert caught.value.data.error_code == ErrorsEnum.INSUFFICIENT_FUND
    assert caught.value.data.error_message.startswith("transactions[1]: ")
    stats = await v1.read_stats_async(request={"ledger": LEDGER})
    assert stats.stats_response is not None
    assert stats.stats_response.data.transactions == 2
    account = await v1.get_account_ledger_async(request={"ledger": LEDGER, "address": "users:2"})
    assert account.account_response is not None
    assert account.account_response.data.balances == {}


async def test_v1_logs_parse_after_reverts_and_deleted_metadata(sdk: SDK, app_url: str
                                                                ) -> None:
    v1 = sdk.ledger.v1
    res = await v1.create_transaction_async(request={"ledger": LEDGER, "post_transaction": {
        "postings": [posting("world", "users:1", 10)]}})
    assert res.transactions_response is not None
    await v1.revert_transaction_async(request={"ledger": LEDGER, "txid": 1})
    await v1.add_metadata_to_account_async(request={
        "ledger": LEDGER, "address": "users:1", "request_body": {"tier": "gold"}})
    await sdk.ledger.v2.delete_account_metadata_async(request={
        "ledger": LEDGER, "address": "users:1", "key": "tier"})
    async with httpx.AsyncClient(base_url=app_url) as raw:
        v2_types = [log["type"] for log in
                    (await raw.get(f"/api/ledger/v2/{LEDGER}/logs")).json()["cursor"]["data"]]
    assert v2_types == ["DELETE_METADATA", "SET_METADATA", "REVERTED_TRANSACTION",
                        "NEW_TRANSACTION"]

    logs = await v1.list_logs_async(request={"ledger": LEDGER})
    assert logs.logs_cursor_response is not None
    assert [(e.id, e.type) for e in logs.logs_cursor_response.cursor.data] == [
        (3, models.LogType.SET_METADATA), (2, models.LogType.NEW_TRANSACTION),
        (1, models.LogType.NEW_TRANSACTION)]


async def test_v2_info_is_a_v2_config_info(sdk: SDK) -> None:
    res = await sdk.ledger.v2.get_info_async()
    assert res.status_code == 200
    assert res.v2_config_info is not None
    assert res.v2_config_info.server == "ledger" and res.v2_config_info.version
    body = res.raw_response.json()
    assert body["config"]["storage"] == {"driver": "postgres"}  # `config` is required
