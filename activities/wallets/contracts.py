"""Names, inputs and outputs of the wallets activities (explicit strings: a rename of a Python
function must never rename an activity under running workflows)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

SETTLE_HOLD = "wallets.settle-hold"
RETURN_HOLD = "wallets.return-hold"

# The business errors these activities raise are domain.wallets.errors.ErrorCode members (the
# ApplicationError type), final by the rule of activities/errors.py.


class SettleHoldInput(BaseModel):
    """Confirm: `to_destination` to the hold's destination, `to_wallet` back to the wallet."""

    model_config = ConfigDict(frozen=True)
    hold_id: str
    to_destination: int
    to_wallet: int
    idempotency_key: str


class ReturnHoldInput(BaseModel):
    """Void: `amount` back to the accounts that funded the hold."""

    model_config = ConfigDict(frozen=True)
    hold_id: str
    amount: int
    idempotency_key: str


class HoldBalance(BaseModel):
    """What remains in the hold after the action (read from the ledger)."""

    model_config = ConfigDict(frozen=True)
    remaining: int
