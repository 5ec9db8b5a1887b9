"""Names, inputs and outputs of the orchestration activities (explicit strings: a rename of a
Python function must never rename an activity under running workflows)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.orchestration.send_plan import LedgerTransfer, PaymentFunds, WalletCredit, WalletDebit

INSTANCE_STARTED = "orchestration.instance_started"
STAGE_STARTED = "orchestration.stage_started"
STAGE_FINISHED = "orchestration.stage_finished"
INSTANCE_FINISHED = "orchestration.instance_finished"
FIND_WALLET = "orchestration.find_wallet"
GET_PAYMENT = "orchestration.get_payment"
MOVE_MONEY = "orchestration.move_money"
UPDATE_ACCOUNT = "orchestration.update_account"

# The business errors these activities raise carry the code of the service that refused
# (ledger INSUFFICIENT_FUND, wallets ..., VALIDATION): final, by the rule of activities/errors.py.


class _In(BaseModel):
    model_config = ConfigDict(frozen=True)


class InstanceRef(_In):
    instance_id: str
    workflow_id: str


class StageStart(InstanceRef):
    stage: int
    kind: str
    spec: dict[str, Any]


class Outcome(InstanceRef):
    """The end of a stage (`stage` set) or of the instance, with its error if it failed."""

    stage: int | None = None
    error: str | None = None


class Step(_In):
    """Where an activity's history row goes: the instance, its stage and the rank of the
    activity in the stage."""

    instance_id: str
    stage: int
    seq: int


class FindWallet(_In):
    step: Step
    name: str


class WalletFound(_In):
    id: str


class GetPayment(_In):
    step: Step
    payment_id: str


class MoveMoney(_In):
    step: Step
    movement: Annotated[LedgerTransfer | WalletCredit | WalletDebit, Field(discriminator="op")]
    idempotency_key: str


class Moved(_In):
    output: dict[str, Any] = Field(default_factory=dict)


class UpdateAccount(_In):
    step: Step
    ledger: str
    address: str
    metadata: dict[str, str]
    idempotency_key: str


__all__ = ["PaymentFunds"]
