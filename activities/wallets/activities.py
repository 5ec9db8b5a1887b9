"""The wallets activities: thin adapters from Temporal to the wallets service. A DomainError
becomes the activity's business error in activities/defn.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.defn import activity_defn
from activities.wallets.contracts import (
    RETURN_HOLD,
    SETTLE_HOLD,
    HoldBalance,
    ReturnHoldInput,
    SettleHoldInput,
)
from domain.wallets.service import WalletsService


class WalletsActivities:
    def __init__(self, service: WalletsService) -> None:
        self.service = service

    @activity_defn(SETTLE_HOLD)
    async def settle_hold(self, data: SettleHoldInput) -> HoldBalance:
        hold = await self.service.settle_hold(
            data.hold_id, to_destination=data.to_destination, to_wallet=data.to_wallet,
            idempotency_key=data.idempotency_key,
        )
        return HoldBalance(remaining=hold.remaining)

    @activity_defn(RETURN_HOLD)
    async def return_hold(self, data: ReturnHoldInput) -> HoldBalance:
        hold = await self.service.return_hold(
            data.hold_id, amount=data.amount, idempotency_key=data.idempotency_key,
        )
        return HoldBalance(remaining=hold.remaining)

    def all(self) -> list[Callable[..., Any]]:
        return [self.settle_hold, self.return_hold]
