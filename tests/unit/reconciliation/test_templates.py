"""Each rule template: its sources, its check per asset (missing = 0), its proof and evidence,
and the spec errors it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import ValidationError
from domain.reconciliation.templates import (
    Reading,
    SourceKind,
    TemplateKind,
    evaluate,
    fingerprint,
    parse_spec,
)

LEDGER = {"ledgerName": "main", "ledgerQuery": {"$match": {"address": "bank:"}}}


def test_drift_is_the_sum_both_ways_within_tolerance() -> None:
    spec = {**LEDGER, "paymentsPoolID": "p", "tolerance": 5}
    sources = parse_spec(TemplateKind.LEDGER_VS_POOL_DRIFT, spec)
    assert {n: s.kind for n, s in sources.items()} == {"ledger": SourceKind.LEDGER,
                                                       "pool": SourceKind.POOL}
    out = evaluate(TemplateKind.LEDGER_VS_POOL_DRIFT, spec, {
        "ledger": Reading(balances={"USD/2": -100, "EUR/2": -50}),
        "pool": Reading(balances={"USD/2": 104, "EUR/2": 40, "GBP/2": 9})})
    by = {o.asset: o for o in out}
    assert by["USD/2"].passed and by["USD/2"].proof == {"ledger": "-100", "pool": "104"}
    assert not by["EUR/2"].passed and by["EUR/2"].evidence["drift"] == 10
    assert not by["GBP/2"].passed and by["GBP/2"].evidence["ledger"] == 0
    assert by["EUR/2"].fingerprint == fingerprint(TemplateKind.LEDGER_VS_POOL_DRIFT, "EUR/2")
    assert "evidence" in by["EUR/2"].entry() and "evidence" not in by["USD/2"].entry()


def test_invariant_needs_both_signs_to_cancel_out() -> None:
    spec = {**LEDGER}
    assert parse_spec(TemplateKind.LEDGER_INVARIANT, spec)["ledger"].kind \
        is SourceKind.LEDGER_SPLIT
    out = evaluate(TemplateKind.LEDGER_INVARIANT, spec, {"ledger": Reading(
        balances={"USD/2": 0, "EUR/2": 3}, positive={"USD/2": 70, "EUR/2": 3},
        negative={"USD/2": -70})})
    assert [(o.asset, o.passed) for o in out] == [("EUR/2", False), ("USD/2", True)]
    assert out[0].evidence["imbalance"] == 3
    assert out[1].proof == {"positive": "70", "negative": "-70"}


def test_threshold_bounds_the_aggregated_balance() -> None:
    spec = {**LEDGER, "min": -10, "max": 100, "assets": ["USD/2", "EUR/2"]}
    out = evaluate(TemplateKind.ACCOUNT_THRESHOLD, spec, {"ledger": Reading(
        balances={"USD/2": 101, "JPY": 1_000_000})})
    # Only the listed assets, an absent one at 0.
    assert [(o.asset, o.passed) for o in out] == [("EUR/2", True), ("USD/2", False)]
    assert out[1].evidence == {"asset": "USD/2", "balance": 101, "min": -10, "max": 100}


def test_parity_compares_two_sources_of_any_kind() -> None:
    spec = {"left": {"paymentsPoolID": "p1"}, "right": {**LEDGER}, "tolerance": 1}
    sources = parse_spec(TemplateKind.SOURCE_PARITY, spec)
    assert (sources["left"].kind, sources["right"].kind) == (SourceKind.POOL,
                                                             SourceKind.LEDGER)
    out = evaluate(TemplateKind.SOURCE_PARITY, spec, {
        "left": Reading(balances={"USD/2": 10}), "right": Reading(balances={"USD/2": 12})})
    assert not out[0].passed and out[0].evidence["residual"] == -2


@pytest.mark.parametrize(("kind", "spec", "words"), [
    (TemplateKind.LEDGER_VS_POOL_DRIFT, {**LEDGER}, "paymentsPoolID"),
    (TemplateKind.LEDGER_VS_POOL_DRIFT, {"paymentsPoolID": "p"}, "ledgerName"),
    (TemplateKind.LEDGER_INVARIANT, {**LEDGER, "tolerance": True}, "tolerance"),
    (TemplateKind.ACCOUNT_THRESHOLD, {**LEDGER}, "min, max or both"),
    (TemplateKind.ACCOUNT_THRESHOLD, {**LEDGER, "min": 5, "max": 1}, "min must not be above"),
    (TemplateKind.ACCOUNT_THRESHOLD, {**LEDGER, "max": 1.5}, "max"),
    (TemplateKind.SOURCE_PARITY, {"left": {"paymentsPoolID": "p"}}, "right"),
    (TemplateKind.LEDGER_INVARIANT, {**LEDGER, "assets": "USD"}, "assets"),
    (TemplateKind.LEDGER_INVARIANT, {"ledgerName": "m", "ledgerQuery": {"$or": 1}},
     "ledgerQuery"),
])
def test_bad_specs_name_the_field(kind: TemplateKind, spec: dict[str, Any],
                                  words: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_spec(kind, spec)
    assert words in exc.value.message
