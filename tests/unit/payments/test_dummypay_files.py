"""The dummypay connector's files (activities/payments/connectors/dummypay): pages in file
order, then back to the top; a missing file is empty, a missing directory or a malformed file
is a retryable failure (nothing of it is stored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activities.payments.connectors.dummypay.plugin import DummypayPlugin
from domain.payments.models import PaymentStatus, PaymentType
from domain.payments.plugin import RetryableError


def _payment(i: int) -> dict[str, object]:
    return {"reference": f"p{i}", "createdAt": "2025-01-01T00:00:00Z", "type": "PAYOUT",
            "status": "PENDING", "amount": str(10**20 + i), "asset": "USD/2"}


async def test_pages_then_starts_over(tmp_path: Path) -> None:
    (tmp_path / "payments.json").write_text(json.dumps([_payment(i) for i in range(5)]))
    plugin = DummypayPlugin(str(tmp_path))
    first = await plugin.fetch_next_payments(None, 2)
    assert [p.reference for p in first.payments] == ["p0", "p1"] and first.has_more
    second = await plugin.fetch_next_payments(first.state, 2)
    third = await plugin.fetch_next_payments(second.state, 2)
    assert [p.reference for p in third.payments] == ["p4"]
    assert not third.has_more and third.state == {}
    p = third.payments[0]
    assert (p.type, p.status, p.amount, p.updated_at) == (
        PaymentType.PAYOUT, PaymentStatus.PENDING, 10**20 + 4, p.created_at)


async def test_missing_files_are_empty(tmp_path: Path) -> None:
    plugin = DummypayPlugin(str(tmp_path))
    assert (await plugin.fetch_next_accounts(None, 10)).accounts == []
    assert (await plugin.fetch_next_balances("x")).balances == []


@pytest.mark.parametrize("content", ["{", "{}", "[1]", json.dumps([{"reference": "a"}]),
                                     json.dumps([{**_payment(0), "amount": 1.5}]),
                                     json.dumps([{**_payment(0), "type": "PAYIN"}])])
async def test_malformed_files_are_retryable(tmp_path: Path, content: str) -> None:
    (tmp_path / "payments.json").write_text(content)
    with pytest.raises(RetryableError):
        await DummypayPlugin(str(tmp_path)).fetch_next_payments(None, 10)


async def test_missing_directory_is_retryable(tmp_path: Path) -> None:
    with pytest.raises(RetryableError, match="does not exist"):
        await DummypayPlugin(str(tmp_path / "nope")).fetch_next_accounts(None, 10)
