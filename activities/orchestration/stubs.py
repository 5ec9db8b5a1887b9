"""How the flow instance workflow calls its activities (activities/stub.py sets the shared
rules)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.orchestration.contracts import (
    CREATE_INITIATION,
    FIND_WALLET,
    GET_PAYMENT,
    INITIATION_STATUS,
    INSTANCE_FINISHED,
    INSTANCE_STARTED,
    MOVE_MONEY,
    STAGE_FINISHED,
    STAGE_STARTED,
    UPDATE_ACCOUNT,
    CreateInitiation,
    FindWallet,
    GetPayment,
    InitiationRef,
    InitiationSeen,
    InstanceRef,
    Moved,
    MoveMoney,
    Outcome,
    PaymentFunds,
    StageStart,
    UpdateAccount,
    WalletFound,
)
from activities.stub import Stub

# Bookkeeping is one small transaction; stage work one ledger write or read.
_BOOKKEEPING = timedelta(seconds=10)
_WORK = timedelta(seconds=60)
# Formance retries stage work without limit (InfiniteRetryContext), which is safe here because
# every write carries its idempotency key; business refusals are final whatever the policy.
_FOREVER = RetryPolicy(initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0,
                       maximum_interval=timedelta(seconds=30), maximum_attempts=0)

instance_started: Stub[InstanceRef, None] = Stub(
    INSTANCE_STARTED, None, _BOOKKEEPING, _FOREVER, summary=lambda d: "instance started")
stage_started: Stub[StageStart, None] = Stub(
    STAGE_STARTED, None, _BOOKKEEPING, _FOREVER,
    summary=lambda d: f"stage {d.stage} ({d.kind}) started")
stage_finished: Stub[Outcome, None] = Stub(
    STAGE_FINISHED, None, _BOOKKEEPING, _FOREVER,
    summary=lambda d: f"stage {d.stage} {'failed' if d.error else 'succeeded'}")
instance_finished: Stub[Outcome, None] = Stub(
    INSTANCE_FINISHED, None, _BOOKKEEPING, _FOREVER,
    summary=lambda d: f"instance {'failed' if d.error else 'succeeded'}")
find_wallet: Stub[FindWallet, WalletFound] = Stub(
    FIND_WALLET, WalletFound, _WORK, _FOREVER, summary=lambda d: f"wallet named {d.name}")
get_payment: Stub[GetPayment, PaymentFunds] = Stub(
    GET_PAYMENT, PaymentFunds, _WORK, _FOREVER, summary=lambda d: f"payment {d.payment_id}")
move_money: Stub[MoveMoney, Moved] = Stub(
    MOVE_MONEY, Moved, _WORK, _FOREVER,
    summary=lambda d: f"{d.movement.op} {d.movement.amount} {d.movement.asset}")
update_account: Stub[UpdateAccount, None] = Stub(
    UPDATE_ACCOUNT, None, _WORK, _FOREVER,
    summary=lambda d: f"metadata of {d.address} on {d.ledger}")
create_initiation: Stub[CreateInitiation, InitiationSeen] = Stub(
    CREATE_INITIATION, InitiationSeen, _WORK, _FOREVER,
    summary=lambda d: f"{d.type} of {d.amount} {d.asset} through {d.psp}")
initiation_status: Stub[InitiationRef, InitiationSeen] = Stub(
    INITIATION_STATUS, InitiationSeen, _WORK, _FOREVER,
    summary=lambda d: f"status of {d.initiation_id}")
