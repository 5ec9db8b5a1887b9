"""Names, inputs and outputs of the reconciliation activities (explicit strings: a rename of a
Python function must never rename an activity under running workflows). Sandbox-safe: no
storage, no httpx."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.reconciliation.evaluations import Evaluation
from domain.reconciliation.periods import Cadence
from domain.reconciliation.rules import Rule
from domain.reconciliation.templates import Outcome, Source

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

LOAD_RULE = "reconciliation.load_rule"
READ_SOURCE = "reconciliation.read_source"
STORE_EVALUATION = "reconciliation.store_evaluation"
SYNC_RULE_SCHEDULE = "reconciliation.sync_rule_schedule"


class RuleRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    rule_id: str


class LoadedRule(BaseModel):
    model_config = ConfigDict(frozen=True)
    rule: Rule | None  # None: deleted since the run was started


class ReadSourceInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    source: Source
    at: datetime


class StoreEvaluationInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    evaluation: Evaluation
    outcomes: list[Outcome]
    # The period of the alerts is the one of `at` in the rule's time zone (computed by the
    # activity: time zone data is read from disk, which a workflow must not do).
    at: datetime
    cadence: Cadence
    tz: str | None
    severity: str
    labels: dict[str, str]


class ScheduleState(BaseModel):
    model_config = ConfigDict(frozen=True)
    state: str  # "absent", "active" or "paused"
