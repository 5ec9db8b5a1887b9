"""The orchestration activities: thin adapters from Temporal to the orchestration store (the
instance's statuses and events) and to MoneyMover (ledger and wallets) and the payments
service. Each stage-work activity records its history row around the call, with the attempt
number, so GET .../stages/{n}/history shows what ran, what it returned and why it failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from temporalio import activity

from activities.defn import activity_defn
from activities.orchestration.contracts import (
    FIND_WALLET,
    GET_PAYMENT,
    INSTANCE_FINISHED,
    INSTANCE_STARTED,
    MOVE_MONEY,
    STAGE_FINISHED,
    STAGE_STARTED,
    UPDATE_ACCOUNT,
    FindWallet,
    GetPayment,
    InstanceRef,
    Moved,
    MoveMoney,
    Outcome,
    PaymentFunds,
    StageStart,
    Step,
    UpdateAccount,
    WalletFound,
)
from domain.errors import DomainError
from domain.orchestration.models import ActivityRecord
from domain.orchestration.money import MoneyMover
from domain.payments.models import Payment
from domain.wallets.models import Wallet

T = TypeVar("T")


class Recorder(Protocol):
    """What the activities write (storage/orchestration/store.py PgOrchestrationStore)."""

    async def instance_started(self, instance_id: str, workflow_id: str) -> None: ...
    async def stage_started(self, instance_id: str, workflow_id: str, stage: int, kind: str,
                            spec: dict[str, Any]) -> None: ...
    async def stage_finished(self, instance_id: str, workflow_id: str, stage: int,
                             error: str | None) -> None: ...
    async def instance_finished(self, instance_id: str, workflow_id: str,
                                error: str | None) -> None: ...
    async def activity_started(self, record: ActivityRecord) -> None: ...
    async def activity_finished(self, instance_id: str, stage: int, seq: int,
                                output: dict[str, Any] | None, error: str | None) -> None: ...


class Payments(Protocol):
    async def payment(self, payment_id: str) -> Payment: ...


class OrchestrationActivities:
    def __init__(self, recorder: Recorder, mover: MoneyMover, payments: Payments) -> None:
        self.recorder = recorder
        self.mover = mover
        self.payments = payments

    # --- bookkeeping --------------------------------------------------------------------------

    @activity_defn(INSTANCE_STARTED)
    async def instance_started(self, data: InstanceRef) -> None:
        await self.recorder.instance_started(data.instance_id, data.workflow_id)

    @activity_defn(STAGE_STARTED)
    async def stage_started(self, data: StageStart) -> None:
        await self.recorder.stage_started(data.instance_id, data.workflow_id, data.stage,
                                          data.kind, data.spec)

    @activity_defn(STAGE_FINISHED)
    async def stage_finished(self, data: Outcome) -> None:
        assert data.stage is not None
        await self.recorder.stage_finished(data.instance_id, data.workflow_id, data.stage,
                                           data.error)

    @activity_defn(INSTANCE_FINISHED)
    async def instance_finished(self, data: Outcome) -> None:
        await self.recorder.instance_finished(data.instance_id, data.workflow_id, data.error)

    # --- stage work ---------------------------------------------------------------------------

    @activity_defn(FIND_WALLET)
    async def find_wallet(self, data: FindWallet) -> WalletFound:
        wallet = await recorded(self.recorder, data.step, "ListWallets", {"name": data.name},
                                      lambda: self.mover.wallet_by_name(data.name),
                                      _wallets_page)
        return WalletFound(id=wallet.id)

    @activity_defn(GET_PAYMENT)
    async def get_payment(self, data: GetPayment) -> PaymentFunds:
        payment = await recorded(self.recorder,
            data.step, "GetPayment", {"id": data.payment_id},
            lambda: self.payments.payment(data.payment_id),
            _payment)
        return PaymentFunds(amount=payment.initial_amount, asset=payment.asset)

    @activity_defn(MOVE_MONEY)
    async def move_money(self, data: MoveMoney) -> Moved:
        movement = data.movement
        output = await recorded(self.recorder,
            data.step, movement.op, movement.model_dump(mode="json", exclude={"op"}),
            lambda: self.mover.move(movement, data.idempotency_key), lambda out: out)
        return Moved(output=output or {})

    @activity_defn(UPDATE_ACCOUNT)
    async def update_account(self, data: UpdateAccount) -> None:
        async def update() -> None:
            await self.mover.add_account_metadata(data.ledger, data.address, data.metadata,
                                                  data.idempotency_key)

        await recorded(self.recorder, data.step, "AddAccountMetadata",
                             {"id": data.address, "ledger": data.ledger,
                              "metadata": data.metadata}, update, lambda _: None)

    def all(self) -> list[Callable[..., Any]]:
        return [self.instance_started, self.stage_started, self.stage_finished,
                self.instance_finished, self.find_wallet, self.get_payment, self.move_money,
                self.update_account]


async def recorded(recorder: Recorder, step: Step, name: str, args: dict[str, Any],
                   call: Callable[[], Awaitable[T]],
                   render: Callable[[T], dict[str, Any] | None]) -> T:
    """Runs `call` between the two writes of its history row (input and attempt first, then
    output or error)."""
    await recorder.activity_started(ActivityRecord(
        instance_id=step.instance_id, stage=step.stage, seq=step.seq, name=name,
        input={name: args}, attempt=activity.info().attempt, started_at=datetime.now(UTC)))
    try:
        result = await call()
    except DomainError as exc:
        await recorder.activity_finished(step.instance_id, step.stage, step.seq, None,
                                         f"{exc.code}: {exc.message}")
        raise
    output = render(result)
    await recorder.activity_finished(step.instance_id, step.stage, step.seq,
                                     None if output is None else {name: output}, None)
    return result


# Outputs in the shapes of the spec's V2WorkflowInstanceHistoryStageOutput, which SDKs parse.

def _wallets_page(wallet: Wallet) -> dict[str, Any]:
    return {"cursor": {"pageSize": 1, "hasMore": False, "data": [{
        "id": wallet.id, "name": wallet.name, "metadata": wallet.metadata,
        "ledger": wallet.ledger, "createdAt": _iso(wallet.created_at)}]}}


def _payment(p: Payment) -> dict[str, Any]:
    return {"data": {
        "id": p.id, "reference": p.reference, "connectorID": p.connector_id,
        "sourceAccountID": p.source_account_id or "",
        "destinationAccountID": p.destination_account_id or "", "type": p.type.value,
        "status": p.status.value, "initialAmount": p.initial_amount, "scheme": p.scheme,
        "asset": p.asset, "createdAt": _iso(p.created_at), "raw": None, "adjustments": [],
        "metadata": p.metadata}}


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
