"""Names, inputs and outputs of the reconciliation activities (explicit strings: a rename of a
Python function must never rename an activity under running workflows). Sandbox-safe: no
storage, no httpx."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

READ_LEDGER_BALANCES = "reconciliation.read_ledger_balances"
READ_POOL_BALANCES = "reconciliation.read_pool_balances"
STORE_RECONCILIATION = "reconciliation.store_reconciliation"


class LedgerBalancesInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    ledger: str
    query: dict[str, Any]
    at: datetime


class PoolBalancesInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    pool_id: str
    at: datetime


class Balances(BaseModel):
    """Per asset, in minor units (any size)."""

    model_config = ConfigDict(frozen=True)
    balances: dict[str, int]
