"""`python -m workers record-histories` (workers/record_histories.py) picks the modules that
have workflow scenarios and refuses an unknown one by name, before starting anything. (Running
it re-records committed histories, so no test does; the README gives a run's output.)"""

from __future__ import annotations

import pytest

from workers.record_histories import _RESULT, modules_with_scenarios, record


def test_every_module_with_workflow_scenarios_is_recorded_by_default() -> None:
    assert {"ledger", "payments", "wallets", "webhooks"} <= set(modules_with_scenarios(None))
    assert modules_with_scenarios(["wallets"]) == ["wallets"]


def test_an_unknown_module_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert record(["walets"]) == 2
    assert "no workflow scenarios for ['walets']" in capsys.readouterr().err


def test_progress_lines_are_read_from_pytest() -> None:
    found = _RESULT.match("tests/workflows/wallets/test_hold_workflow.py::test_expiry PASSED"
                          " [ 75%]")
    assert found is not None
    assert found.groups() == ("tests/workflows/wallets/test_hold_workflow.py::test_expiry",
                              "PASSED", "75")
