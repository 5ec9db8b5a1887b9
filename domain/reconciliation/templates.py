"""The four rule templates of the SDK and how each is evaluated: which balances it reads (its
sources, each at its own point in time) and, per asset, whether the check holds. Pure: the
evaluation workflow runs it between its reads and its store, so the history shows the inputs
and the outcomes.

templateSpec per kind (every kind also takes `assets`, a list restricting the check to those
assets, an asset missing on a side counting as 0):
- ledger_vs_pool_drift `{ledgerName, ledgerQuery?, paymentsPoolID, tolerance?}`: the policy
  run's sum rule, both ways: FAIL when |pool + ledger| > tolerance (a run is NOT_OK only below
  zero, as Formance; a monitoring rule flags a drift either way).
- ledger_invariant `{ledgerName, ledgerQuery?, tolerance?}`: the positive and the negative
  balances of the matched accounts must cancel out: FAIL when |positive + negative| > tolerance.
- account_threshold `{ledgerName, ledgerQuery?, min?, max?}`: the aggregated balance of the
  matched accounts must stay within [min, max] (at least one bound).
- source_parity `{left, right, tolerance?}`, each side `{ledgerName, ledgerQuery?}` or
  `{paymentsPoolID}`: FAIL when |left - right| > tolerance.
Sources are named `ledger` and `pool` (drift), `ledger` (invariant, threshold), `left` and
`right` (parity): the names of an evaluation's `pitPerSource` and of `sourcePITs`."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.errors import ValidationError
from domain.reconciliation import inputs


class TemplateKind(StrEnum):
    LEDGER_VS_POOL_DRIFT = "ledger_vs_pool_drift"
    LEDGER_INVARIANT = "ledger_invariant"
    ACCOUNT_THRESHOLD = "account_threshold"
    SOURCE_PARITY = "source_parity"


class SourceKind(StrEnum):
    LEDGER = "ledger"  # aggregated balances of a filter
    LEDGER_SPLIT = "ledger_split"  # the same, positive and negative balances apart
    POOL = "pool"


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: SourceKind
    ledger: str | None = None
    query: dict[str, Any] = {}
    pool_id: str | None = None


class Reading(BaseModel):
    """What a source read: per asset, the balance (and for LEDGER_SPLIT, its two signs)."""

    model_config = ConfigDict(frozen=True)
    balances: dict[str, int]
    positive: dict[str, int] = {}
    negative: dict[str, int] = {}


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    fingerprint: str
    asset: str
    passed: bool
    proof: dict[str, str]  # the observed balances that make the check hold or not
    evidence: dict[str, Any]

    def entry(self) -> dict[str, Any]:
        """The evaluation's evidence roster entry (SDK Evidence): FAIL entries carry the full
        breakdown."""
        out: dict[str, Any] = {"fingerprint": self.fingerprint, "passed": self.passed,
                               "proof": self.proof}
        if not self.passed:
            out["evidence"] = self.evidence
        return out


def parse_spec(kind: TemplateKind, spec: dict[str, Any]) -> dict[str, Source]:
    """The named sources the rule reads; ValidationError naming the field otherwise."""
    _assets(spec)
    if kind is TemplateKind.SOURCE_PARITY:
        _tolerance(spec)
        return {"left": _side(spec.get("left"), "left"),
                "right": _side(spec.get("right"), "right")}
    ledger = _ledger(spec, "templateSpec")
    if kind is TemplateKind.LEDGER_VS_POOL_DRIFT:
        _tolerance(spec)
        return {"ledger": ledger, "pool": _pool(spec, "templateSpec")}
    if kind is TemplateKind.LEDGER_INVARIANT:
        _tolerance(spec)
        return {"ledger": ledger.model_copy(update={"kind": SourceKind.LEDGER_SPLIT})}
    low, high = _bound(spec, "min"), _bound(spec, "max")
    if low is None and high is None:
        raise ValidationError("templateSpec: account_threshold needs min, max or both")
    if low is not None and high is not None and low > high:
        raise ValidationError("templateSpec: min must not be above max")
    return {"ledger": ledger}


def evaluate(kind: TemplateKind, spec: dict[str, Any], readings: dict[str, Reading]
             ) -> list[Outcome]:
    assets = _assets(spec) or sorted({a for r in readings.values() for a in r.balances})
    return [_check(kind, spec, readings, asset) for asset in assets]


def fingerprint(kind: TemplateKind, asset: str) -> str:
    """Stable per rule kind and asset: the same break found again is the same alert."""
    return hashlib.sha256(f"{kind.value}:{asset}".encode()).hexdigest()[:16]


def _check(kind: TemplateKind, spec: dict[str, Any], readings: dict[str, Reading],
           asset: str) -> Outcome:
    def bal(name: str) -> int:
        return readings[name].balances.get(asset, 0)

    tolerance = _tolerance(spec)
    evidence: dict[str, Any] = {"asset": asset}
    if kind is TemplateKind.LEDGER_VS_POOL_DRIFT:
        ledger, pool = bal("ledger"), bal("pool")
        passed = abs(pool + ledger) <= tolerance
        proof = {"ledger": str(ledger), "pool": str(pool)}
        evidence |= {"ledger": ledger, "pool": pool, "drift": abs(pool + ledger),
                     "tolerance": tolerance}
    elif kind is TemplateKind.LEDGER_INVARIANT:
        positive = readings["ledger"].positive.get(asset, 0)
        negative = readings["ledger"].negative.get(asset, 0)
        passed = abs(positive + negative) <= tolerance
        proof = {"positive": str(positive), "negative": str(negative)}
        evidence |= {"positive": positive, "negative": negative,
                     "imbalance": positive + negative, "tolerance": tolerance}
    elif kind is TemplateKind.ACCOUNT_THRESHOLD:
        balance, low, high = bal("ledger"), _bound(spec, "min"), _bound(spec, "max")
        passed = (low is None or balance >= low) and (high is None or balance <= high)
        proof = {"balance": str(balance)}
        evidence |= {"balance": balance, "min": low, "max": high}
    else:
        left, right = bal("left"), bal("right")
        passed = abs(left - right) <= tolerance
        proof = {"left": str(left), "right": str(right)}
        evidence |= {"left": left, "right": right, "residual": left - right,
                     "tolerance": tolerance}
    return Outcome(fingerprint=fingerprint(kind, asset), asset=asset, passed=passed,
                   proof=proof, evidence=evidence)


def _ledger(spec: dict[str, Any], where: str) -> Source:
    name = spec.get("ledgerName")
    if not isinstance(name, str) or not name:
        raise ValidationError(f"{where}.ledgerName is required")
    query = inputs.ledger_query(spec.get("ledgerQuery", {}), f"{where}.ledgerQuery")
    return Source(kind=SourceKind.LEDGER, ledger=name, query=query)


def _pool(spec: dict[str, Any], where: str) -> Source:
    pool = spec.get("paymentsPoolID")
    if not isinstance(pool, str) or not pool:
        raise ValidationError(f"{where}.paymentsPoolID is required")
    return Source(kind=SourceKind.POOL, pool_id=pool)


def _side(value: Any, name: str) -> Source:
    where = f"templateSpec.{name}"
    if not isinstance(value, dict):
        raise ValidationError(f"{where} must be {{ledgerName, ledgerQuery?}} or "
                              "{paymentsPoolID}")
    if "paymentsPoolID" in value:
        return _pool(value, where)
    return _ledger(value, where)


def _tolerance(spec: dict[str, Any]) -> int:
    value = spec.get("tolerance", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("templateSpec.tolerance must be a non-negative integer (minor "
                              "units)")
    return value


def _bound(spec: dict[str, Any], key: str) -> int | None:
    value = spec.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(f"templateSpec.{key} must be an integer (minor units)")
    return value


def _assets(spec: dict[str, Any]) -> list[str]:
    value = spec.get("assets", [])
    if not isinstance(value, list) or not all(isinstance(a, str) and a for a in value):
        raise ValidationError("templateSpec.assets must be an array of asset names")
    return sorted(set(value))
