"""The replay test (tests/replay/test_histories_replay.py) is only worth having if it fails on
a change that would break running workflows. Here the webhook retry workflow is patched to call
its delivery activity under another name, the kind of edit a refactor makes, and the replayer,
built as that test builds it, refuses the recorded history; unpatched, the same history replays.
`activities.webhooks.stubs` is passed through the sandbox, so patching it here is what the
sandboxed workflow sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, WorkflowReplayResult
from temporalio.workflow import NondeterminismError

from activities.stub import Stub
from activities.webhooks import stubs
from workers.worker import sandbox_runner
from workflows.webhooks.all import WORKFLOWS

HISTORY = (Path(__file__).resolve().parents[1] / "replay" / "histories" / "webhooks"
           / "webhook_retry_fail_twice_then_succeed.json")


async def _replay() -> WorkflowReplayResult:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter,
                        workflow_runner=sandbox_runner())
    history = WorkflowHistory.from_json(HISTORY.stem, HISTORY.read_text())
    return await replayer.replay_workflow(history, raise_on_replay_failure=False)


async def test_the_recorded_history_replays_with_todays_code() -> None:
    assert (await _replay()).replay_failure is None


async def test_an_activity_renamed_under_running_workflows_fails_the_replay(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = stubs.attempt_delivery
    monkeypatch.setattr(stubs, "attempt_delivery", Stub(
        f"{real.name}_v2", real.result_type, real.start_to_close, real.retry))
    failure = (await _replay()).replay_failure
    assert isinstance(failure, NondeterminismError), failure
    assert "webhooks.attempt_delivery" in str(failure)
