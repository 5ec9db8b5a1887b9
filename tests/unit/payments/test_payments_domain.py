"""Payments domain rules without I/O: Formance-shaped ids, connector config validation with
defaults (naming the bad field), Go durations, and the generic connector's mapping and error
classification over a mocked transport."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest

from activities.payments.connectors.generic.plugin import GenericPlugin
from domain.payments import ids
from domain.payments.durations import parse_go_duration
from domain.payments.errors import InvalidConfigError, InvalidIDError, ProviderNotFoundError
from domain.payments.models import PaymentStatus, PaymentType
from domain.payments.plugin import FailureKind, PluginError
from domain.payments.registry import provider

MIN = timedelta(seconds=1)


def _decode(value: str) -> object:
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def test_ids_are_base64url_canonical_json_and_deterministic() -> None:
    cid = ids.ConnectorID("generic", "0b6e4bd4-9b3f-4a30-8c7a-2f3d4cc0b1a1")
    assert _decode(str(cid)) == {"Provider": "generic",
                                 "Reference": "0b6e4bd4-9b3f-4a30-8c7a-2f3d4cc0b1a1"}
    assert "=" not in str(cid) and "+" not in str(cid) and "/" not in str(cid)
    assert str(cid).startswith(base64.urlsafe_b64encode(b'{"Provider"').decode()[:12])
    account = ids.account_id(cid, "acc-1")
    assert account == ids.account_id(cid, "acc-1")
    assert _decode(account) == {"ConnectorID": cid.key(), "Reference": "acc-1"}
    payment = ids.payment_id(cid, "tx-1", "PAY-IN")
    assert _decode(payment) == {"ConnectorID": cid.key(), "Reference": "tx-1", "Type": "PAY-IN"}
    assert ids.connector_of("payment", payment) == cid
    assert ids.ConnectorID.parse(str(cid)) == cid


@pytest.mark.parametrize("bad", ["", "not base64!", "bnVsbA", "eyJhIjoxfQ"])
def test_bad_ids_are_invalid_id(bad: str) -> None:
    with pytest.raises(InvalidIDError):
        ids.ConnectorID.parse(bad)
    with pytest.raises(InvalidIDError):
        ids.connector_of("account", bad)


def test_config_defaults_and_errors_name_the_field() -> None:
    spec = provider("Generic")  # provider names are case-insensitive
    config = spec.validate_config({"name": "g", "apiKey": "k", "endpoint": "http://x"},
                                  min_polling_period=MIN)
    assert config["pollingPeriod"] == "30m" and config["pageSize"] == 25
    with pytest.raises(InvalidConfigError, match="apiKey"):
        spec.validate_config({"name": "g", "endpoint": "http://x"}, min_polling_period=MIN)
    with pytest.raises(InvalidConfigError, match="pollingPeriod"):
        spec.validate_config({"name": "g", "apiKey": "k", "endpoint": "http://x",
                              "pollingPeriod": "5m"}, min_polling_period=timedelta(minutes=20))
    with pytest.raises(InvalidConfigError, match="pageSize"):
        spec.validate_config({"name": "g", "apiKey": "k", "endpoint": "http://x",
                              "pageSize": -1}, min_polling_period=MIN)
    with pytest.raises(ProviderNotFoundError):
        provider("nope")


def test_go_durations() -> None:
    assert parse_go_duration("1h30m") == timedelta(minutes=90)
    assert parse_go_duration("2s") == timedelta(seconds=2)
    assert parse_go_duration("500ms") == timedelta(milliseconds=500)
    for bad in ("", "10", "m", "-1s", "1x"):
        with pytest.raises(ValueError):
            parse_go_duration(bad)


def _plugin(handler: httpx.MockTransport) -> GenericPlugin:
    return GenericPlugin("http://psp", "key", httpx.AsyncClient(transport=handler))


async def test_generic_maps_transactions_and_moves_its_watermark() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer key"
        return httpx.Response(200, json=[{
            "id": "tx-1", "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-01-02T00:00:00Z", "currency": "USD/2", "type": "PAYIN",
            "status": "SUCCEEDED", "amount": "123456789012345678901234567890",
            "destinationAccountID": "acc-1"}])

    page = await _plugin(httpx.MockTransport(answer)).fetch_next_payments(None, 10)
    [payment] = page.payments
    assert payment.type is PaymentType.PAY_IN and payment.status is PaymentStatus.SUCCEEDED
    assert payment.amount == 123456789012345678901234567890
    assert not page.has_more
    assert page.state == {"page": 1, "updatedAtFrom": "2025-01-02T00:00:00Z"}


@pytest.mark.parametrize(("response", "kind"), [
    (httpx.Response(429, headers={"Retry-After": "7"}), FailureKind.RATE_LIMITED),
    (httpx.Response(503), FailureKind.RETRYABLE),
    (httpx.Response(400, json={"Title": "bad", "Detail": "x"}), FailureKind.NON_RETRYABLE),
    (httpx.Response(200, text="<html>"), FailureKind.RETRYABLE),
    (httpx.Response(200, json=[{"id": "a", "createdAt": "nope"}]), FailureKind.RETRYABLE),
])
async def test_generic_classifies_provider_failures(response: httpx.Response,
                                                   kind: FailureKind) -> None:
    plugin = _plugin(httpx.MockTransport(lambda _: response))
    with pytest.raises(PluginError) as caught:
        await plugin.fetch_next_accounts(None, 10)
    assert caught.value.kind is kind
    if kind is FailureKind.RATE_LIMITED:
        assert caught.value.retry_after == timedelta(seconds=7)
