"""What each stage kind does inside the instance workflow (workflow code: deterministic, every
side effect an activity). Each call gets its stage's history step and idempotency key from the
instance: `flow-instance/<instance>/stage/<n>/<rank>`, so a retried activity sends the key its
first attempt sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.orchestration import stubs
    from activities.orchestration.contracts import (
        FindWallet,
        GetPayment,
        MoveMoney,
        Step,
        UpdateAccount,
    )
    from domain.orchestration.send_plan import PaymentFunds, plan_send
    from domain.orchestration.stages import Delay, Send, Update, delay_of


class StageContext:
    def __init__(self, instance_id: str, stage: int, wallets_ledger: str) -> None:
        self.instance_id = instance_id
        self.stage = stage
        self.wallets_ledger = wallets_ledger
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
        step = ctx.step()
        await stubs.move_money(MoveMoney(step=step, movement=movement,
                                         idempotency_key=ctx.key(step)))


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
