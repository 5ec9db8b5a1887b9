"""What each stage kind does inside the instance workflow (workflow code: deterministic, every
side effect an activity). Each call gets its stage's history step and idempotency key from the
instance: `flow-instance/<instance>/stage/<n>/<rank>`, so a retried activity sends the key its
first attempt sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.orchestration import stubs
    from activities.orchestration.contracts import (
        CreateInitiation,
        FindWallet,
        GetPayment,
        InitiationRef,
        MoveMoney,
        Step,
        UpdateAccount,
    )
    from domain.orchestration.errors import ErrorCode
    from domain.orchestration.send_plan import Movement, PaymentFunds, compensation, plan_send
    from domain.orchestration.stages import Delay, Send, Update, as_bool, delay_of

# An initiation in one of these will not change on its own any more.
_FINAL = frozenset({"PROCESSED", "FAILED", "REJECTED", "REVERSED"})


class StageContext:
    def __init__(self, instance_id: str, stage: int, wallets_ledger: str,
                 payment_poll_seconds: float) -> None:
        self.instance_id = instance_id
        self.stage = stage
        self.wallets_ledger = wallets_ledger
        self.payment_poll = timedelta(seconds=payment_poll_seconds)
        self.seq = 0

    def step(self) -> Step:
        self.seq += 1
        return Step(instance_id=self.instance_id, stage=self.stage, seq=self.seq)

    def key(self, step: Step) -> str:
        return f"flow-instance/{self.instance_id}/stage/{step.stage}/{step.seq}"


async def run_send(ctx: StageContext, spec: Send) -> None:
    wallet_ids: dict[str, str] = {}
    for side, ref in (("source", spec.source.wallet), ("destination", spec.destination.wallet)):
        if ref is None:
            continue
        if ref.id:
            wallet_ids[side] = ref.id
        else:
            assert ref.name is not None
            wallet_ids[side] = (await stubs.find_wallet(FindWallet(step=ctx.step(),
                                                                   name=ref.name))).id
    payment: PaymentFunds | None = None
    if spec.source.payment is not None:
        payment = await stubs.get_payment(GetPayment(step=ctx.step(),
                                                     payment_id=spec.source.payment.id))
    movements = plan_send(spec, wallets_ledger=ctx.wallets_ledger, wallet_ids=wallet_ids,
                          payment=payment)
    for movement in movements:
        await _move(ctx, movement)
    if spec.destination.payment is not None:
        await _pay_out(ctx, spec, movements[-1], wallet_ids.get("source"))


async def _move(ctx: StageContext, movement: Movement) -> None:
    step = ctx.step()
    await stubs.move_money(MoveMoney(step=step, movement=movement,
                                     idempotency_key=ctx.key(step)))


async def _pay_out(ctx: StageContext, spec: Send, funding: Movement,
                   wallet_id: str | None) -> None:
    """The debit is made (Formance's order); now the transfer initiation. With
    awaitFinalStatus, the stage waits for the initiation's final status and gives the debit
    back if the payment did not go through."""
    pay = spec.destination.payment
    assert pay is not None
    wait = bool(as_bool(pay.await_final_status))
    account = spec.source.account
    try:
        seen = await stubs.create_initiation(CreateInitiation(
            step=ctx.step(), reference=f"flow-{ctx.instance_id}-{ctx.stage}", psp=pay.psp,
            connector_id=pay.connector_id, type=pay.type, source_account=pay.source_account,
            metadata_key=pay.metadata, waiting_validation=bool(as_bool(pay.waiting_validation)),
            amount=funding.amount, asset=funding.asset,
            description=f"flow instance {ctx.instance_id}, stage {ctx.stage}",
            metadata=dict(spec.metadata), ledger=account.ledger if account else None,
            account=account.id if account else None, wallet_id=wallet_id))
    except ActivityError as exc:
        if not wait:
            raise
        await _move(ctx, compensation(funding, f"initiation not created: {_cause(exc)}"))
        raise ApplicationError(f"{_cause(exc)}; the debit was reversed",
                               type=ErrorCode.VALIDATION, non_retryable=True) from None
    if not wait:
        return
    while seen.status not in _FINAL:
        await workflow.sleep(ctx.payment_poll, summary="payment initiation not final yet")
        seen = await stubs.initiation_status(InitiationRef(step=ctx.step(),
                                                           initiation_id=seen.initiation_id))
    if seen.status == "PROCESSED":
        return
    await _move(ctx, compensation(funding, f"{seen.initiation_id} {seen.status}"))
    raise ApplicationError(
        f"payment initiation {seen.initiation_id} is {seen.status}"
        + (f": {seen.error}" if seen.error else "") + "; the debit was reversed",
        type=ErrorCode.VALIDATION, non_retryable=True)


def _cause(exc: ActivityError) -> str:
    return exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc)



async def run_delay(spec: Delay) -> None:
    # From workflow time, so the timer is durable and replays identically (Formance computes it
    # from the wall clock inside its workflow).
    wait = delay_of(spec, workflow.now())
    if wait > timedelta(0):
        await workflow.sleep(wait, summary=f"delay {spec.duration or 'until ' + str(spec.until)}")


async def run_update(ctx: StageContext, spec: Update) -> None:
    assert spec.account is not None
    step = ctx.step()
    await stubs.update_account(UpdateAccount(
        step=step, ledger=spec.account.ledger, address=spec.account.id,
        metadata=spec.account.metadata, idempotency_key=ctx.key(step)))


async def run_wait_event(name: str, take: Callable[[str], bool]) -> None:
    """Until `take(name)` finds the event (already buffered or sent later) and consumes it."""
    await workflow.wait_condition(lambda: take(name))
