"""Ingestion storage on real PostgreSQL: a page is stored whole or not at all (its state
included), the same page stored again changes nothing and writes no event, and a newer view of
a payment becomes an adjustment that moves its status and amount (an older one, arriving late,
is history only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from domain.payments import ids
from domain.payments.models import Connector, PaymentStatus, PaymentType
from domain.payments.plugin import PSPPayment
from domain.payments.service import to_payment
from storage.database import Database
from storage.payments import store as store_module
from storage.payments.store import PgPaymentsStore

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CID = ids.ConnectorID("generic", "22222222-2222-2222-2222-222222222222")


def _view(ref: str, minutes: int, status: PaymentStatus, amount: int) -> Any:
    return to_payment(CID, PSPPayment(
        reference=ref, created_at=T0, updated_at=T0 + timedelta(minutes=minutes),
        type=PaymentType.PAY_IN, amount=amount, asset="USD/2", status=status))


async def _count(database: Database, sql: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


@pytest.fixture
async def store(database: Database) -> PgPaymentsStore:
    s = PgPaymentsStore(database)
    await s.create_connector(Connector(id=str(CID), reference=CID.reference, name="c",
                                       provider="generic", created_at=T0, config={}))
    return s


async def test_same_page_twice_changes_nothing(store: PgPaymentsStore,
                                               database: Database) -> None:
    page = [_view(f"p{i}", 0, PaymentStatus.PENDING, 10 + i) for i in range(50)]
    assert await store.save_page(str(CID), "FETCH_PAYMENTS", {"page": 1}, [], [], page) == 50
    assert await store.save_page(str(CID), "FETCH_PAYMENTS", {"page": 1}, [], [], page) == 0
    assert await _count(database, "SELECT count(*) FROM payments_payments") == 50
    assert await _count(database, "SELECT count(*) FROM events_outbox "
                                  "WHERE type = 'SAVED_PAYMENT'") == 50


async def test_newer_views_adjust_older_ones_are_history(store: PgPaymentsStore) -> None:
    first = _view("p", 0, PaymentStatus.PENDING, 100)
    await store.save_page(str(CID), "FETCH_PAYMENTS", {}, [], [], [first])
    # Two new views in one page: the newest wins, both are kept as adjustments.
    await store.save_page(str(CID), "FETCH_PAYMENTS", {}, [], [], [
        _view("p", 10, PaymentStatus.REFUNDED, 40), _view("p", 5, PaymentStatus.SUCCEEDED, 100)])
    # A view older than the stored one arrives late.
    await store.save_page(str(CID), "FETCH_PAYMENTS", {}, [], [],
                          [_view("p", 3, PaymentStatus.AUTHORISATION, 100)])
    payment = await store.get_payment(first[0].id)
    assert payment is not None
    assert payment.status is PaymentStatus.REFUNDED and payment.amount == 40
    assert payment.initial_amount == 100
    assert [a.status for a in payment.adjustments] == [
        PaymentStatus.REFUNDED, PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORISATION,
        PaymentStatus.PENDING]


async def test_a_failed_page_stores_nothing(store: PgPaymentsStore, database: Database,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    saved = store_module._save_payments

    async def then_fail(conn: Any, items: Any) -> int:
        await saved(conn, items)
        raise RuntimeError("the worker died mid-page")

    monkeypatch.setattr(store_module, "_save_payments", then_fail)
    with pytest.raises(RuntimeError):
        await store.save_page(str(CID), "FETCH_PAYMENTS", {"page": 2}, [], [],
                              [_view("p", 0, PaymentStatus.PENDING, 1)])
    for table in ("payments_payments", "payments_adjustments", "payments_states"):
        assert await _count(database, f"SELECT count(*) FROM {table}") == 0, table
    assert await _count(database, "SELECT count(*) FROM events_outbox") == 0


async def test_payment_metadata_is_merged_over_http(store: PgPaymentsStore, client: Any,
                                                    database: Database) -> None:
    view = _view("m", 0, PaymentStatus.PENDING, 5)
    await store.save_page(str(CID), "FETCH_PAYMENTS", {}, [], [], [view])
    url = f"/api/payments/v3/payments/{view[0].id}/metadata"
    assert (await client.patch(url, json={"metadata": {"a": "1"}})).status_code == 204
    assert (await client.patch(url, json={"metadata": {"b": "2"}})).status_code == 204
    got = (await client.get(f"/api/payments/v3/payments/{view[0].id}")).json()["data"]
    assert got["metadata"] == {"a": "1", "b": "2"}
    assert await _count(database, "SELECT count(*) FROM events_outbox "
                                  "WHERE type = 'SAVED_PAYMENT'") == 3
    for body in ({"metadata": {"a": 1}}, {"metadata": "x"}, {}):
        r = await client.patch(url, json=body)
        assert r.status_code == 400 and r.json()["errorCode"] == "VALIDATION", body
    r = await client.patch("/api/payments/v3/payments/x/metadata", json={"metadata": {}})
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_ID"
    missing = ids.payment_id(CID, "nope", "PAY-IN")
    r = await client.patch(f"/api/payments/v3/payments/{missing}/metadata",
                           json={"metadata": {}})
    assert r.status_code == 404
