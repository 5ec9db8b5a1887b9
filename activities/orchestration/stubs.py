"""How the flow instance workflow calls its activities (activities/stub.py sets the shared
rules)."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
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

I = TypeVar("I")  # noqa: E741 - the input type
O = TypeVar("O")  # noqa: E741 - the output type


class LocalStub(Stub[I, O]):
    """The instance's bookkeeping (its status rows and their outbox events: one short insert or
    update each, idempotent) runs as local activities, in the worker that runs the workflow
    task: no task queue round trip and no activity events in the history. Measured on the dev
    server, each regular activity cost a workflow task round trip (about 150 ms under load) and
    a one-send instance ran five of them; its latency and throughput were those round trips.
    Stage work (ledger, wallets, payments) stays regular activities, heartbeating, so a worker
    killed mid-write hands it to another worker."""

    async def __call__(self, data: I) -> O:
        result: O = await workflow.execute_local_activity(
            self.name, data, result_type=self.result_type,
            start_to_close_timeout=self.start_to_close, retry_policy=self.retry,
            summary=self.summary(data) if self.summary else None)
        return result


# Bookkeeping is one small transaction; stage work one ledger write or read.
_BOOKKEEPING = timedelta(seconds=10)
_WORK = timedelta(seconds=60)
# Formance retries stage work without limit (InfiniteRetryContext), which is safe here because
# every write carries its idempotency key; business refusals are final whatever the policy.
_FOREVER = RetryPolicy(initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0,
                       maximum_interval=timedelta(seconds=30), maximum_attempts=0)

instance_started: LocalStub[InstanceRef, None] = LocalStub(
    INSTANCE_STARTED, None, _BOOKKEEPING, _FOREVER, summary=lambda d: "instance started")
stage_started: LocalStub[StageStart, None] = LocalStub(
    STAGE_STARTED, None, _BOOKKEEPING, _FOREVER,
    summary=lambda d: f"stage {d.stage} ({d.kind}) started")
stage_finished: LocalStub[Outcome, None] = LocalStub(
    STAGE_FINISHED, None, _BOOKKEEPING, _FOREVER,
    summary=lambda d: f"stage {d.stage} {'failed' if d.error else 'succeeded'}")
instance_finished: LocalStub[Outcome, None] = LocalStub(
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
