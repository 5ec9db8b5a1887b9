"""Replays recorded ledger pipeline histories (a worker restart mid-stream with exporter
failures; stop/start/reset updates) against today's workflow code: a change that would break
running pipelines fails here. Re-record with LEDGERFLOW_RECORD_HISTORIES=1 and
`pytest tests/workflows/ledger` only for a deliberate, `workflow.patched()`-guarded change."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.ledger_pipelines import WORKFLOWS
from workers.worker import sandbox_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("ledger_pipeline_*.json"))


def test_histories_are_committed() -> None:
    assert len(HISTORIES) >= 2


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_ledger_pipeline_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240 - tiny file
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter,
                        workflow_runner=sandbox_runner())
    await replayer.replay_workflow(history)
