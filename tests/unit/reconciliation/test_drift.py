"""The policy run's drift, as Formance computes it: sums (the mirror holds the opposite sign),
a missing asset counts as 0 on its side, NOT_OK only below zero, errors joined with '; '."""

from __future__ import annotations

from domain.reconciliation.drift import compute_drift
from domain.reconciliation.models import ReconciliationStatus


def test_books_in_line_are_ok_with_zero_drift() -> None:
    d = compute_drift({"USD/2": -100, "EUR/2": -5}, {"USD/2": 100, "EUR/2": 5})
    assert d.status is ReconciliationStatus.OK and d.error is None
    assert d.drift_balances == {"EUR/2": 0, "USD/2": 0}


def test_negative_sums_are_not_ok_and_name_every_asset() -> None:
    d = compute_drift({"USD/2": -100, "EUR/2": -5, "GBP/2": 0}, {"USD/2": 90, "EUR/2": 4,
                                                                 "GBP/2": 3})
    assert d.status is ReconciliationStatus.NOT_OK
    assert d.drift_balances == {"EUR/2": 1, "GBP/2": 3, "USD/2": 10}
    assert d.error == "balance drift for asset EUR/2; balance drift for asset USD/2"


def test_a_positive_remainder_is_ok_but_reported() -> None:
    d = compute_drift({"USD/2": -100}, {"USD/2": 130})
    assert (d.status, d.drift_balances) == (ReconciliationStatus.OK, {"USD/2": 30})


def test_missing_assets_count_as_zero_on_their_side() -> None:
    d = compute_drift({"JPY": -7}, {"USD/2": 5})
    assert d.ledger_balances == {"JPY": -7, "USD/2": 0}
    assert d.payments_balances == {"JPY": 0, "USD/2": 5}
    assert d.drift_balances == {"JPY": 7, "USD/2": 5}
    assert d.error == "balance drift for asset JPY"


def test_amounts_of_any_size_stay_exact() -> None:
    big = 10**40 + 1
    d = compute_drift({"BTC/8": -big}, {"BTC/8": big - 1})
    assert d.drift_balances == {"BTC/8": 1} and d.status is ReconciliationStatus.NOT_OK


def test_nothing_on_either_side_is_ok() -> None:
    d = compute_drift({}, {})
    assert (d.status, d.drift_balances, d.error) == (ReconciliationStatus.OK, {}, None)
