"""Replays every recorded history under histories/<module>/ against today's workflow code, with
the module's own WORKFLOWS list: a change that would break running workflows fails here.
Histories are recorded by the module's workflow tests (tests/workflows/<module>/) with
LEDGERFLOW_RECORD_HISTORIES=1, only for a deliberate, `workflow.patched()`-guarded change."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.registry import MODULES
from workers.worker import sandbox_runner

HISTORIES = Path(__file__).parent / "histories"
CASES = sorted(HISTORIES.glob("*/*.json"))


def test_every_temporal_module_has_histories() -> None:
    assert {p.parent.name for p in CASES} == set(MODULES)
    assert all(len(list((HISTORIES / m).glob("*.json"))) >= 2 for m in MODULES)


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
async def test_history_replays(path: Path) -> None:
    workflows = import_module(f"workflows.{path.parent.name}.all").WORKFLOWS
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240 - tiny file
    replayer = Replayer(workflows=workflows, data_converter=pydantic_data_converter,
                        workflow_runner=sandbox_runner())
    await replayer.replay_workflow(history)


def test_histories_carry_no_stack_traces() -> None:
    """Recorded through tests/replay/recording.py: a failure's stack trace (the recording
    machine's paths) is emptied before a history is committed."""
    for path in CASES:
        assert '"stackTrace": "' not in path.read_text().replace('"stackTrace": ""', ""), path
