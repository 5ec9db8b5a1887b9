"""What the API needs to talk to a hold workflow: names, ids and payloads. No activity imports
here: the API imports this module and must not reach the activities."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from temporalio.common import SearchAttributePair, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.wallets.models import Hold
from workflows import search_attributes
from workflows.start import StartSpec

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


def hold_start(hold: Hold) -> StartSpec:
    """The hold's workflow, resumed from the ledger's view of the hold."""
    return StartSpec(
        HOLD_WORKFLOW, hold_workflow_id(hold.id),
        HoldWorkflowInput(hold_id=hold.id, wallet_id=hold.wallet_id, asset=hold.asset,
                          original_amount=hold.original_amount, remaining=hold.remaining,
                          expires_at=hold.expires_at),
        # A running hold workflow is reused (a retried debit, a second action); a finished one
        # means the hold is closed, unless it failed or was terminated: then a new run resumes
        # the hold from the ledger.
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        search_attributes=(
            SearchAttributePair(search_attributes.WALLET_ID, hold.wallet_id),
            SearchAttributePair(search_attributes.STATUS, HoldStatus.OPEN.value),
        ),
        summary=f"Hold of {hold.original_amount} {hold.asset} on wallet {hold.wallet_id}",
        details=f"hold {hold.id}; confirm and void are updates"
                + (f"; expires at {hold.expires_at.isoformat()}" if hold.expires_at else ""),
    )
