"""The drift of a reconciliation run, computed as Formance does (reference/api-behaviours.md §8).

The two sides are added, not subtracted: the ledger accounts that mirror a PSP's cash hold it
with the opposite sign (money in the bank is owed to the users), so books in line sum to zero.
An asset one side lacks counts as 0 there, and both maps come back with every asset. Formance
keeps its sign rule on purpose and so do we: a run is NOT_OK only when payments + ledger < 0
for some asset (the PSP holds less than the ledger says it should); a positive remainder is
still OK, its drift reported."""

from __future__ import annotations

from dataclasses import dataclass

from domain.reconciliation.models import ReconciliationStatus


@dataclass(frozen=True)
class Drift:
    status: ReconciliationStatus
    ledger_balances: dict[str, int]
    payments_balances: dict[str, int]
    drift_balances: dict[str, int]
    error: str | None


def compute_drift(ledger: dict[str, int], payments: dict[str, int]) -> Drift:
    assets = sorted(set(ledger) | set(payments))
    ledger_all = {a: ledger.get(a, 0) for a in assets}
    payments_all = {a: payments.get(a, 0) for a in assets}
    drift: dict[str, int] = {}
    errors: list[str] = []
    for asset in assets:
        total = payments_all[asset] + ledger_all[asset]
        drift[asset] = abs(total)
        if total < 0:
            errors.append(f"balance drift for asset {asset}")
    return Drift(status=ReconciliationStatus.NOT_OK if errors else ReconciliationStatus.OK,
                 ledger_balances=ledger_all, payments_balances=payments_all,
                 drift_balances=drift, error="; ".join(errors) or None)
