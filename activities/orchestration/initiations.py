"""Sends to a payment destination: the transfer initiation created through the payments
service (the payment initiations of payments v3, their workflow started on the payments task
queue), and its status read back while the stage waits for the final one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from activities.defn import activity_defn
from activities.orchestration.activities import Recorder, recorded
from activities.orchestration.contracts import (
    CREATE_INITIATION,
    INITIATION_STATUS,
    CreateInitiation,
    InitiationRef,
    InitiationSeen,
)
from domain.errors import ValidationError
from domain.ledger.service import LedgerService
from domain.pagination import Page
from domain.payments.initiations import PaymentInitiation
from domain.payments.initiations_service import PaymentInitiationsService
from domain.payments.models import Connector
from domain.wallets.service import WalletsService


class Connectors(Protocol):
    async def list_connectors(self, offset: int, size: int) -> Page[Connector]: ...


class InitiationActivities:
    def __init__(self, recorder: Recorder, ledger: LedgerService, wallets: WalletsService,
                 initiations: PaymentInitiationsService, connectors: Connectors) -> None:
        self.recorder = recorder
        self.ledger = ledger
        self.wallets = wallets
        self.initiations = initiations
        self.connectors = connectors

    @activity_defn(CREATE_INITIATION)
    async def create_transfer_initiation(self, data: CreateInitiation) -> InitiationSeen:
        async def create() -> InitiationSeen:
            body: dict[str, Any] = {
                "connectorID": await self._connector(data), "reference": data.reference,
                "type": data.type, "amount": data.amount, "asset": data.asset,
                "destinationAccountID": await self._destination(data),
                "description": data.description, "metadata": data.metadata}
            if data.source_account:
                body["sourceAccountID"] = data.source_account
            created = await self.initiations.create(body,
                                                    no_validation=not data.waiting_validation)
            return _seen(await self.initiations.initiation(created.initiation_id))

        args = data.model_dump(mode="json", exclude={"step"})
        return await recorded(self.recorder, data.step, "CreateTransferInitiation", args,
                              create, lambda seen: seen.model_dump(mode="json"))

    @activity_defn(INITIATION_STATUS)
    async def initiation_status(self, data: InitiationRef) -> InitiationSeen:
        return _seen(await self.initiations.initiation(data.initiation_id))

    async def _connector(self, data: CreateInitiation) -> str:
        if data.connector_id:
            return data.connector_id
        found = [c for c in (await self.connectors.list_connectors(0, 1000)).data
                 if c.provider.lower() == data.psp.lower() and not c.scheduled_for_deletion]
        if len(found) != 1:
            raise ValidationError(f"psp {data.psp!r}: {len(found)} connectors installed, "
                                  "expected exactly one (or set connectorId)")
        return found[0].id

    async def _destination(self, data: CreateInitiation) -> str:
        if data.wallet_id:
            metadata = (await self.wallets.get_wallet(data.wallet_id)).metadata
            owner = f"wallet {data.wallet_id}"
        else:
            assert data.ledger and data.account
            metadata = (await self.ledger.get_account(data.ledger, data.account)).metadata
            owner = f"account {data.account} of ledger {data.ledger}"
        value = metadata.get(data.metadata_key)
        if not value:
            raise ValidationError(f"{owner} has no metadata {data.metadata_key!r} naming the "
                                  "payments account to pay")
        return str(value)

    def all(self) -> list[Callable[..., Any]]:
        return [self.create_transfer_initiation, self.initiation_status]


def _seen(initiation: PaymentInitiation) -> InitiationSeen:
    return InitiationSeen(initiation_id=initiation.id, status=initiation.status.value,
                          error=initiation.error)
