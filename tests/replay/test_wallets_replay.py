"""Replays recorded hold workflow histories (partial confirm then void, confirm of everything,
expiry) against today's workflow code: a change that would break running holds fails here.
Re-record with LEDGERFLOW_RECORD_HISTORIES=1 and `pytest tests/workflows/wallets`, only for a
deliberate, `workflow.patched()`-guarded change."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.worker import sandbox_runner
from workflows.wallets.hold import HoldWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("hold_*.json"))


def test_hold_histories_are_committed() -> None:
    assert {p.stem for p in HISTORIES} >= {
        "hold_partial_confirm_then_void", "hold_confirm_all", "hold_expiry"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_hold_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240 - tiny file
    replayer = Replayer(workflows=[HoldWorkflow], data_converter=pydantic_data_converter,
                        workflow_runner=sandbox_runner())
    await replayer.replay_workflow(history)
