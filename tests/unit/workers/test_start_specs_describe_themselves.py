"""The Temporal UI as a console: every workflow a module starts carries a static summary and
details (what it is, which business object, what can be sent to it), so a user who finds it by
its id or search attributes also reads what it is. Checked on the source of every module's
start specs (workflows/<m>/inputs.py), so a new spec without them fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _start_specs() -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted((ROOT / "workflows").glob("*/inputs.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "StartSpec"):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


# Specs without search attributes, and why (each is found by its id, which names its task).
WITHOUT_SEARCH_ATTRIBUTES = {
    # An uninstall (and the reset that runs one) terminates every workflow carrying the
    # connector's id: it must not carry it itself.
    "UNINSTALL_WORKFLOW", "RESET_WORKFLOW",
    # Runs for a PSU's deletion task; its id is built from the task id the API answered.
    "OPEN_BANKING_DELETE_WORKFLOW",
}


def test_every_start_spec_has_a_summary_details_and_search_attributes() -> None:
    specs = _start_specs()
    assert len(specs) >= 15, "every module's start specs are found"
    missing = []
    for where, call in specs:
        given = {k.arg for k in call.keywords}
        workflow = ast.unparse(call.args[0]) if call.args else ""
        wanted = ["summary", "details"]
        if workflow not in WITHOUT_SEARCH_ATTRIBUTES:
            wanted.append("search_attributes")
        missing += [(where, workflow, field) for field in wanted if field not in given]
    assert missing == []
