"""Policies and reconciliation runs. Pydantic models: a run's result travels through its
workflow (workflows/reconciliation/run.py) as the API answers it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    created_at: datetime
    ledger_name: str
    # A ledger v2 filter (the body of aggregated balances), kept as the client wrote it.
    ledger_query: dict[str, Any]
    payments_pool_id: str


class ReconciliationStatus(StrEnum):
    OK = "OK"
    NOT_OK = "NOT_OK"


class Reconciliation(BaseModel):
    """One run of a policy, stored as computed (domain/reconciliation/drift.py)."""

    model_config = ConfigDict(frozen=True)

    id: str
    policy_id: str
    created_at: datetime
    reconciled_at_ledger: datetime
    reconciled_at_payments: datetime
    status: ReconciliationStatus
    ledger_balances: dict[str, int]
    payments_balances: dict[str, int]
    drift_balances: dict[str, int]
    error: str | None = None
