"""The wallets activities: thin adapters from Temporal to the wallets service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.wallets.contracts import (
    RETURN_HOLD,
    SETTLE_HOLD,
    HoldBalance,
    ReturnHoldInput,
    SettleHoldInput,
)
from domain.errors import DomainError
from domain.wallets.service import WalletsService


def _business(exc: DomainError) -> ApplicationError:
    # The error type is the Formance code, so the workflow and the API can answer with it.
    return ApplicationError(exc.message, type=exc.code, non_retryable=exc.code != "INTERNAL")


class WalletsActivities:
    def __init__(self, service: WalletsService) -> None:
        self.service = service

    @activity.defn(name=SETTLE_HOLD)
    async def settle_hold(self, data: SettleHoldInput) -> HoldBalance:
        try:
            hold = await self.service.settle_hold(
                data.hold_id, to_destination=data.to_destination, to_wallet=data.to_wallet,
                idempotency_key=data.idempotency_key,
            )
        except DomainError as exc:
            raise _business(exc) from exc
        return HoldBalance(remaining=hold.remaining)

    @activity.defn(name=RETURN_HOLD)
    async def return_hold(self, data: ReturnHoldInput) -> HoldBalance:
        try:
            hold = await self.service.return_hold(
                data.hold_id, amount=data.amount, idempotency_key=data.idempotency_key,
            )
        except DomainError as exc:
            raise _business(exc) from exc
        return HoldBalance(remaining=hold.remaining)

    def all(self) -> list[Callable[..., Any]]:
        return [self.settle_hold, self.return_hold]
