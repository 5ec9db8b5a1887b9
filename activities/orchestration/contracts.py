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
CREATE_INITIATION = "orchestration.create_transfer_initiation"
INITIATION_STATUS = "orchestration.initiation_status"

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


class CreateInitiation(_In):
    """A payments transfer initiation for a send to a payment destination. The destination
    payments account is read from the funding account's (or wallet's) metadata under
    `metadata_key`, as Formance does."""

    step: Step
    reference: str  # from the instance and stage: a retried create is the same initiation
    psp: str
    connector_id: str | None = None
    type: str
    source_account: str | None = None
    metadata_key: str
    waiting_validation: bool
    amount: int
    asset: str
    description: str
    metadata: dict[str, str] = Field(default_factory=dict)
    # The funding side: a ledger account, or a wallet.
    ledger: str | None = None
    account: str | None = None
    wallet_id: str | None = None


class InitiationRef(_In):
    step: Step
    initiation_id: str


class InitiationSeen(_In):
    initiation_id: str
    status: str
    error: str | None = None


__all__ = ["PaymentFunds"]
