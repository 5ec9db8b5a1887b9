"""Runs every reference vector of ../shared/numscript-testdata/script-tests (reads ../shared).

Runner semantics: reference/numscript.md §11. Each case is its own test so that a failure names
the file and the case. When the shared directory exists, a vector that is missing its pair or
fails is a test failure; only the absence of the whole directory skips.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from domain.numscript import (
    MissingFundsError,
    NegativeAmountError,
    NumscriptError,
    StaticStore,
    compile_program,
    execute,
)
from domain.numscript.values import fold_asset

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("LEDGERFLOW_SHARED_DIR", REPO_ROOT.parent / "shared"))
VECTORS = SHARED / "numscript-testdata" / "script-tests"

_BalanceKey = tuple[str, str, str]


def _load_cases() -> list[Any]:
    if not VECTORS.is_dir():
        return [pytest.param(None, None, None, id="no-shared-dir")]
    params = []
    for spec_path in sorted(VECTORS.rglob("*.num.specs.json")):
        spec = json.loads(spec_path.read_text())
        rel = spec_path.relative_to(VECTORS).as_posix().removesuffix(".specs.json")
        for index, case in enumerate(spec["testCases"]):
            params.append(pytest.param(spec_path, spec, index, id=f"{rel}#{index}:{case['it']}"))
    return params


def _balance_rows(rows: list[dict[str, Any]]) -> dict[_BalanceKey, int]:
    return {(r["account"], r["asset"], r.get("color", "")): r["amount"] for r in rows}


def _merged(spec: dict[str, Any], case: dict[str, Any], key: str) -> dict[Any, Any]:
    if key == "balances":
        merged = _balance_rows(spec.get(key, []))
        merged.update(_balance_rows(case.get(key, [])))
        return merged
    if key == "metadata":
        meta: dict[str, dict[str, str]] = {a: dict(m) for a, m in spec.get(key, {}).items()}
        for account, values in case.get(key, {}).items():
            meta.setdefault(account, {}).update(values)
        return meta
    return {**spec.get(key, {}), **case.get(key, {})}


def _ledger_balances(rows: dict[_BalanceKey, int]) -> dict[str, dict[str, int]]:
    store: dict[str, dict[str, int]] = {}
    for (account, asset, color), amount in rows.items():
        store.setdefault(account, {})[fold_asset(asset, color)] = amount
    return store


def test_every_vector_has_its_pair() -> None:
    if not VECTORS.is_dir():
        pytest.skip(f"{VECTORS} not present")
    scripts = {p.relative_to(VECTORS).as_posix() for p in VECTORS.rglob("*.num")}
    specs = {
        p.relative_to(VECTORS).as_posix().removesuffix(".specs.json")
        for p in VECTORS.rglob("*.num.specs.json")
    }
    assert scripts, "no vector found"
    assert scripts == specs, f"unpaired: {sorted(scripts ^ specs)}"


@pytest.mark.parametrize(("spec_path", "spec", "index"), _load_cases())
async def test_vector(spec_path: Path | None, spec: dict[str, Any] | None, index: int) -> None:
    if spec_path is None or spec is None:
        pytest.skip(f"{VECTORS} not present")
    case = spec["testCases"][index]
    assert not case.get("skip") and not case.get("focus"), "skip/focus are debug-only markers"
    script = spec_path.with_name(spec_path.name.removesuffix(".specs.json")).read_text()
    balances = _merged(spec, case, "balances")
    store = StaticStore(_ledger_balances(balances), _merged(spec, case, "metadata"))
    features = frozenset(spec.get("featureFlags", []))
    variables = _merged(spec, case, "variables")

    expects_missing = case.get("expect.error.missingFunds", False)
    expects_negative = case.get("expect.error.negativeAmount", False)
    try:
        program = compile_program(script, features)
        result = await execute(program, variables, store)
    except NumscriptError as err:
        if expects_missing and isinstance(err, MissingFundsError):
            return
        if expects_negative and isinstance(err, NegativeAmountError):
            return
        raise
    assert not expects_missing, "expected a missing-funds error"
    assert not expects_negative, "expected a negative-amount error"

    if "expect.postings" in case:
        expected = [
            (p["source"], p["destination"], p["amount"], fold_asset(p["asset"], p.get("color", "")))
            for p in case["expect.postings"]
        ]
        actual = [(p.source, p.destination, p.amount, p.asset) for p in result.postings]
        assert actual == expected
        expected_colors = [p.get("color", "") for p in case["expect.postings"]]
        assert [p.color for p in result.postings] == expected_colors
    if "expect.txMetadata" in case:
        assert result.tx_metadata == case["expect.txMetadata"]
    if "expect.metadata" in case:
        assert result.account_metadata == case["expect.metadata"]

    final = Counter({(a, fold_asset(s, c)): v for (a, s, c), v in balances.items()})
    touched = set(final)
    for p in result.postings:
        final[(p.source, p.asset)] -= p.amount
        final[(p.destination, p.asset)] += p.amount
        touched |= {(p.source, p.asset), (p.destination, p.asset)}
    if "expect.endBalances" in case:
        expected_rows = {
            (a, fold_asset(s, c)): v
            for (a, s, c), v in _balance_rows(case["expect.endBalances"]).items()
        }
        assert {k: final[k] for k in touched} == expected_rows
    if "expect.endBalances.include" in case:
        for (a, s, c), v in _balance_rows(case["expect.endBalances.include"]).items():
            assert final[(a, fold_asset(s, c))] == v, (a, s, c)
    if "expect.movements" in case:
        moved: Counter[tuple[str, str, str]] = Counter()
        for p in result.postings:
            moved[(p.source, p.destination, p.asset)] += p.amount
        expected_moves = {
            (m["source"], m["destination"], fold_asset(m["asset"], m.get("color", ""))): m["amount"]
            for m in case["expect.movements"]
        }
        assert dict(moved) == expected_moves
