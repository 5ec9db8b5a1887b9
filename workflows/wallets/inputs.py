"""What the API needs to talk to a hold workflow: names, ids and payloads. No activity imports
here: the API imports this module and must not reach the activities."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

HOLD_WORKFLOW = "wallets-hold"
CONFIRM_UPDATE = "confirm"
VOID_UPDATE = "void"
STATE_QUERY = "state"


def hold_workflow_id(hold_id: str) -> str:
    return f"hold-{hold_id}"


class HoldStatus(StrEnum):
    OPEN = "OPEN"
    CONFIRMED = "CONFIRMED"
    VOIDED = "VOIDED"
    EXPIRED = "EXPIRED"


class HoldWorkflowInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    hold_id: str
    wallet_id: str
    asset: str
    original_amount: int
    # What the hold held when the workflow started (the ledger's balance of the hold account).
    remaining: int
    expires_at: datetime | None = None


class ConfirmHold(BaseModel):
    model_config = ConfigDict(frozen=True)
    amount: int | None = None  # None or 0: everything that remains
    final: bool = False


class HoldState(BaseModel):
    hold_id: str
    wallet_id: str
    asset: str
    status: HoldStatus
    original_amount: int
    remaining: int
    expires_at: datetime | None = None
    actions: int = 0  # ledger transactions posted by this workflow
