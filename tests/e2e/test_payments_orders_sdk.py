"""The official Formance Python SDK reads the orders and conversions a dummypay connector
ingested from its files, through `sdk.payments.v3` (list_orders, get_order, list_conversions,
get_conversion) against Ledgerflow served by uvicorn with a payments worker: the SDK parses our
V3Order (with its adjustments) and V3Conversion, sends its query-builder body and cursor, and
gets a V3ErrorResponse for an unknown id."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models import payments as pm

from config.modules import ModuleSettings
from domain.payments import ids
from storage.database import Database
from tests.e2e.conftest import ServeApp
from tests.temporal_stack import ModuleStack, unique_modules

ORDERS = [
    {"reference": "o-1", "createdAt": "2025-03-01T00:00:00Z", "direction": "BUY",
     "sourceAsset": "USD/2", "destinationAsset": "BTC/8", "type": "MARKET", "status": "OPEN",
     "baseQuantityOrdered": 50_000_000, "timeInForce": "IMMEDIATE_OR_CANCEL"},
    {"reference": "o-1", "createdAt": "2025-03-01T00:00:00Z",
     "updatedAt": "2025-03-01T00:00:05Z", "direction": "BUY", "sourceAsset": "USD/2",
     "destinationAsset": "BTC/8", "type": "MARKET", "status": "FILLED",
     "baseQuantityOrdered": 50_000_000, "baseQuantityFilled": 50_000_000, "fee": 25,
     "feeAsset": "USD/2", "timeInForce": "IMMEDIATE_OR_CANCEL"},
    {"reference": "o-2", "createdAt": "2025-03-01T00:01:00Z", "direction": "SELL",
     "sourceAsset": "BTC/8", "destinationAsset": "USD/2", "type": "LIMIT", "status": "OPEN",
     "baseQuantityOrdered": 10_000_000, "limitPrice": 7000000, "priceAsset": "USD/2",
     "timeInForce": "GOOD_UNTIL_DATE_TIME", "expiresAt": "2025-04-01T00:00:00Z"}]
CONVERSIONS = [
    {"reference": "c-1", "createdAt": "2025-03-02T00:00:00Z", "sourceAsset": "USD/2",
     "destinationAsset": "USDC/6", "sourceAmount": 10000, "destinationAmount": 99900000,
     "fee": 10, "feeAsset": "USD/2", "status": "COMPLETED"}]


@pytest.fixture
def modules() -> ModuleSettings:
    return unique_modules(payments={"min_polling_period": 1})


@pytest.fixture
def served(serve_app: ServeApp, temporal_address: str, modules: ModuleSettings) -> str:
    return serve_app(module_settings=modules, temporal_address=temporal_address)


async def test_orders_and_conversions_with_the_sdk(
        served: str, database: Database, database_url: str, temporal_env: Any,
        temporal_address: str, modules: ModuleSettings, tmp_path: Path) -> None:
    (tmp_path / "orders.json").write_text(json.dumps(ORDERS))
    (tmp_path / "conversions.json").write_text(json.dumps(CONVERSIONS))
    stack = ModuleStack("payments", temporal_env, database, database_url, temporal_address,
                        modules=modules)
    v3 = SDK(server_url=served).payments.v3
    async with stack.worker():
        install: Any = {
            "connector": "dummypay",
            "v3_connector_config": {"provider": "Dummypay", "name": "sdk-exchange",
                                    "directory": str(tmp_path), "pollingPeriod": "2s"}}
        installed = await v3.install_connector_async(request=install)
        assert installed.v3_install_connector_response is not None
        cid = installed.v3_install_connector_response.data
        mine = {"$match": {"connector_id": cid}}

        deadline = time.monotonic() + 60
        while True:
            listed = await v3.list_orders_async(request={"page_size": 1, "request_body": mine})
            assert listed.v3_orders_cursor_response is not None
            cursor = listed.v3_orders_cursor_response.cursor
            conversions = await v3.list_conversions_async(request={"request_body": mine})
            assert conversions.v3_conversions_cursor_response is not None
            if cursor.has_more and conversions.v3_conversions_cursor_response.cursor.data:
                break
            assert time.monotonic() < deadline, "orders and conversions not ingested"
            await asyncio.sleep(0.3)

        # Page by page with the SDK's cursor: both orders, the first one FILLED.
        first = cursor.data[0]
        assert (first.reference, first.status, first.direction, first.type) == (
            "o-1", pm.V3OrderStatusEnum.FILLED, pm.V3OrderDirectionEnum.BUY,
            pm.V3OrderTypeEnum.MARKET)
        assert cursor.next is not None
        nxt = await v3.list_orders_async(request={"cursor": cursor.next})
        assert nxt.v3_orders_cursor_response is not None
        [second] = nxt.v3_orders_cursor_response.cursor.data
        assert (second.reference, second.limit_price, second.time_in_force) == (
            "o-2", 7000000, pm.V3TimeInForceEnum.GOOD_UNTIL_DATE_TIME)
        assert isinstance(second.expires_at, datetime) and second.expires_at.year == 2025

        got = await v3.get_order_async(request={"order_id": first.id})
        assert got.v3_get_order_response is not None
        order = got.v3_get_order_response.data
        assert order.id == ids.order_id(ids.ConnectorID.parse(cid), "o-1")
        adjustments = [a for a in order.adjustments or []
                       if isinstance(a, pm.V3OrderAdjustment)]
        assert [a.status for a in adjustments] == [pm.V3OrderStatusEnum.OPEN,
                                                   pm.V3OrderStatusEnum.FILLED]
        assert (order.base_quantity_filled, order.fee, order.fee_asset) == (
            50_000_000, 25, "USD/2")

        sells = await v3.list_orders_async(request={"request_body": {
            "$and": [mine, {"$match": {"direction": "SELL"}}]}})
        assert sells.v3_orders_cursor_response is not None
        assert [o.reference for o in sells.v3_orders_cursor_response.cursor.data] == ["o-2"]

        [conversion] = conversions.v3_conversions_cursor_response.cursor.data
        one = await v3.get_conversion_async(request={"conversion_id": conversion.id})
        assert one.v3_get_conversion_response is not None
        c = one.v3_get_conversion_response.data
        assert (c.reference, c.status, c.source_amount, c.destination_amount, c.fee) == (
            "c-1", pm.V3ConversionStatusEnum.COMPLETED, 10000, 99900000, 10)

        with pytest.raises(pm.V3ErrorResponse) as missing:
            await v3.get_order_async(request={
                "order_id": ids.order_id(ids.ConnectorID.parse(cid), "nope")})
        assert missing.value.data.error_code == pm.V3ErrorsEnum.NOT_FOUND
        with pytest.raises(pm.V3ErrorResponse) as bad:
            await v3.get_conversion_async(request={"conversion_id": "not-an-id"})
        assert bad.value.data.error_code == pm.V3ErrorsEnum.INVALID_ID
