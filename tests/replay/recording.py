"""Writing a recorded history for the replay test. Failures in a history carry the Python stack
trace of the worker that recorded it (paths of that machine); the replayer never reads them, so
they are emptied before the history is committed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory


def _scrub(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ("" if k == "stackTrace" else _scrub(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v) for v in node]
    return node


def scrubbed_json(history: WorkflowHistory) -> str:
    return json.dumps(_scrub(json.loads(history.to_json())), indent=2)


def write_history(path: Path, history: WorkflowHistory) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scrubbed_json(history))
