"""Search over real payments events: payments and bank accounts created through the payments
v3 API, balances saved by the ingestion store, each indexed from its event (SAVED_PAYMENT,
SAVED_BANK_ACCOUNT, SAVED_BALANCE), transfer initiations and their adjustments saved by the
initiations store (SAVED_PAYMENT_INITIATION, ..._ADJUSTMENT), each found by its target; a
connector reset drops the old connector's documents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from domain.payments import ids
from domain.payments.initiations import (
    InitiationAdjustment,
    InitiationStatus,
    InitiationType,
    PaymentInitiation,
)
from domain.payments.models import Balance, Connector
from storage.database import Database
from storage.payments.initiations_store import PgInitiationsStore
from storage.payments.store import PgPaymentsStore
from tests.integration.search.helpers import drain, page, search

P = "/api/payments/v3"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def _connector(database: Database) -> Connector:
    cid = ids.ConnectorID("dummypay", str(uuid.uuid4()))
    connector = Connector(id=str(cid), reference=cid.reference, name="dummypay",
                          provider="dummypay", created_at=T0, config={})
    await PgPaymentsStore(database).create_connector(connector)
    return connector


def _payment(connector_id: str, reference: str, amount: int, **over: object) -> dict[str, object]:
    return {"reference": reference, "connectorID": connector_id,
            "createdAt": "2025-01-02T00:00:00Z", "type": "PAY-IN", "initialAmount": amount,
            "amount": amount, "asset": "EUR/2", "scheme": "SEPA", "metadata": {"order": reference},
            "adjustments": [{"reference": reference, "createdAt": "2025-01-02T00:00:00Z",
                             "status": "SUCCEEDED", "amount": amount, "asset": "EUR/2"}],
            **over}


@pytest.fixture
async def connector(client: httpx.AsyncClient, database: Database) -> Connector:
    connector = await _connector(database)
    for reference, amount in (("pay-a", 1000), ("pay-b", 2500), ("pay-c", 2**70)):
        r = await client.post(f"{P}/payments", json=_payment(connector.id, reference, amount))
        assert r.status_code == 201, r.text
    r = await client.post(f"{P}/accounts", json={
        "reference": "main", "connectorID": connector.id, "createdAt": "2025-01-02T03:04:05Z",
        "accountName": "Main", "type": "INTERNAL", "defaultAsset": "EUR/2", "metadata": {}})
    assert r.status_code == 201, r.text
    account_id = r.json()["data"]["id"]
    store = PgPaymentsStore(database)
    for n, (asset, amount) in enumerate((("EUR/2", 500), ("USD/2", 700), ("EUR/2", 900))):
        at = datetime(2025, 1, 3, n, tzinfo=UTC)
        await store.save_page(connector.id, f"balances-{n}", {}, [], [Balance(
            account_id=account_id, asset=asset, balance=amount, created_at=at,
            last_updated_at=at)], [])
    r = await client.post(f"{P}/bank-accounts", json={
        "name": "Acme payroll", "iban": "FR7630006000011234567890189", "country": "FR",
        "metadata": {"owner": "acme"}})
    assert r.status_code == 201, r.text
    await drain(database)
    return connector


async def test_payments_by_terms_and_sort(client: httpx.AsyncClient,
                                          connector: Connector) -> None:
    refs = [p["reference"] for p in await page(client, target="PAYMENT")]
    assert refs == ["pay-c", "pay-b", "pay-a"]  # reference desc by default
    found = await page(client, target="PAYMENT", terms=["amount>=2500"])
    assert [p["reference"] for p in found] == ["pay-c", "pay-b"]
    assert found[0]["amount"] == 2**70  # kept exactly
    assert [p["reference"] for p in await page(client, target="PAYMENT",
                                               terms=["metadata.order=pay-a"])] == ["pay-a"]
    found = await page(client, target="PAYMENT", terms=[f"connectorID={connector.id}",
                                                        "status=SUCCEEDED", "amount<2000"])
    assert [p["reference"] for p in found] == ["pay-a"]
    found = await page(client, target="PAYMENT", sort="amount:asc",
                       terms=["reference=pay-a", "reference=pay-c"], policy="OR")
    assert [p["reference"] for p in found] == ["pay-a", "pay-c"]
    # Payments belong to no ledger: a ledgers filter leaves them out.
    assert await page(client, target="PAYMENT", ledgers=["main"]) == []


async def test_balances_and_bank_accounts(client: httpx.AsyncClient,
                                          connector: Connector) -> None:
    balances = await page(client, target="PAYMENT_BALANCE")
    # The latest balance of each account and asset, newest first.
    assert [(b["asset"], b["balance"]) for b in balances] == [("EUR/2", 900), ("USD/2", 700)]
    assert [b["asset"] for b in await page(client, target="PAYMENT_BALANCE",
                                           terms=["balance<800"])] == ["USD/2"]
    banks = await page(client, target="PAYMENT_BANK_ACCOUNT", terms=["metadata.owner=acme"])
    assert [b["name"] for b in banks] == ["Acme payroll"]
    assert [b["country"] for b in await page(client, target="PAYMENT_BANK_ACCOUNT",
                                             terms=["FR76300"])] == ["FR"]
    everything = (await search(client, terms=["EUR/2"]))["data"]
    assert set(everything) == {"PAYMENT", "PAYMENT_BALANCE", "AUDIT"}


async def test_a_connector_reset_drops_its_documents(client: httpx.AsyncClient,
                                                     database: Database,
                                                     connector: Connector) -> None:
    assert len(await page(client, target="PAYMENT")) == 3
    await PgPaymentsStore(database).copy_connector(connector, "new-connector", "new", T0)
    await drain(database)
    assert await page(client, target="PAYMENT") == []
    assert await page(client, target="PAYMENT_BALANCE") == []
    reset = await page(client, target="AUDIT", terms=["type=CONNECTOR_RESET"])
    assert reset[0]["payload"]["connectorID"] == connector.id


async def test_transfer_initiations_follow_their_adjustments(client: httpx.AsyncClient,
                                                             database: Database,
                                                             connector: Connector) -> None:
    store = PgInitiationsStore(database)
    for n, (reference, amount) in enumerate((("tr-1", 100), ("tr-2", 300))):
        at = datetime(2025, 2, 1, n, tzinfo=UTC)
        initiation = PaymentInitiation(
            id=f"init-{reference}", connector_id=connector.id, provider="dummypay",
            reference=reference, created_at=at, type=InitiationType.TRANSFER, amount=amount,
            asset="EUR/2", status=InitiationStatus.WAITING_FOR_VALIDATION,
            description=f"supplier invoice {reference}", metadata={"invoice": reference})
        await store.create_initiation(initiation, InitiationAdjustment(
            id=f"adj-{reference}-1", initiation_id=initiation.id, created_at=at,
            status=InitiationStatus.WAITING_FOR_VALIDATION))
    await store.add_adjustment(InitiationAdjustment(
        id="adj-tr-2-2", initiation_id="init-tr-2", created_at=datetime(2025, 2, 2, tzinfo=UTC),
        status=InitiationStatus.PROCESSING))
    await drain(database)
    found = await page(client, target="PAYMENT_TRANSFER_INITIATION")
    assert [(i["reference"], i["status"]) for i in found] == [
        ("tr-2", "PROCESSING"), ("tr-1", "WAITING_FOR_VALIDATION")]  # createdAt desc
    found = await page(client, target="PAYMENT_TRANSFER_INITIATION",
                       terms=["status=WAITING_FOR_VALIDATION", "amount>200"], policy="OR")
    assert [i["reference"] for i in found] == ["tr-2", "tr-1"]
    assert [i["reference"] for i in await page(client, target="PAYMENT_TRANSFER_INITIATION",
                                               terms=["invoice tr-2"])] == ["tr-2"]
    # `after` an instant: the first page starts after it in createdAt order.
    assert [i["reference"] for i in await page(client, target="PAYMENT_TRANSFER_INITIATION",
                                               after=["2025-02-01T01:00:00Z"])] == ["tr-1"]
