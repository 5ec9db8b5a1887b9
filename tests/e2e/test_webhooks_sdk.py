"""The official Formance Python SDK drives the webhooks configs against Ledgerflow served by
uvicorn: a config is inserted, listed, deactivated and activated, its secret changed, updated,
and deleted, all through `sdk.webhooks.v1`."""

from __future__ import annotations

from formance_sdk_python import SDK

from tests.e2e.conftest import ServeApp


async def test_webhook_config_lifecycle_with_the_sdk(serve_app: ServeApp) -> None:
    w = SDK(server_url=serve_app()).webhooks.v1

    inserted = await w.insert_config_async(request={
        "endpoint": "https://hooks.example.com/ledger",
        "event_types": ["ledger.COMMITTED_TRANSACTIONS"],
    })
    assert inserted.status_code == 200 and inserted.config_response is not None
    config = inserted.config_response.data
    assert config.endpoint == "https://hooks.example.com/ledger"
    # Formance lower-cases event types and generates a secret when none is given.
    assert config.event_types == ["ledger.committed_transactions"]
    assert config.secret and config.active is True

    listed = await w.get_many_configs_async(request={"endpoint": config.endpoint})
    assert listed.configs_response is not None
    assert [c.id for c in listed.configs_response.cursor.data] == [config.id]

    off = await w.deactivate_config_async(request={"id": config.id})
    assert off.config_response is not None and off.config_response.data.active is False
    on = await w.activate_config_async(request={"id": config.id})
    assert on.config_response is not None and on.config_response.data.active is True

    secret = "V0bivxRWveaoz08afqjU6Ko/jwO0Cb+3"  # 24 bytes, base64: the format Formance asks
    changed = await w.change_config_secret_async(request={
        "id": config.id, "config_change_secret": {"secret": secret}})
    assert changed.config_response is not None
    assert changed.config_response.data.secret == secret

    updated = await w.update_config_async(request={"id": config.id, "config_user": {
        "endpoint": "https://hooks.example.com/v2", "event_types": ["ledger.SAVED_METADATA"]}})
    assert updated.status_code == 200
    listed = await w.get_many_configs_async(request={"id": config.id})
    assert listed.configs_response is not None
    [now] = listed.configs_response.cursor.data
    assert now.endpoint == "https://hooks.example.com/v2"
    assert now.event_types == ["ledger.saved_metadata"]

    deleted = await w.delete_config_async(request={"id": config.id})
    assert deleted.status_code == 200
    listed = await w.get_many_configs_async(request={})
    assert listed.configs_response is not None
    assert listed.configs_response.cursor.data == []
