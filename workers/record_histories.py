"""`python -m workers record-histories [--module m]`: re-records tests/replay/histories/<m>/.

The scenarios are the module's own workflow tests (tests/workflows/<m>/), run by pytest with
LEDGERFLOW_RECORD_HISTORIES=1: each writes the history of the runs it drove. pytest's session
fixtures give them a throwaway stack (a fresh PostgreSQL and Temporal dev server, gone
afterwards), unless DATABASE_URL / TEMPORAL_ADDRESS name servers to use. Needs a checkout (the
tests are not part of the installed package). Record only for a deliberate change guarded by
`workflow.patched()`: the replay test (tests/replay/) then holds every later change to it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from workers.registry import MODULES

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "workflows"
HISTORIES = ROOT / "tests" / "replay" / "histories"

# pytest -v prints one line per test: "tests/workflows/m/test_x.py::test_y PASSED [ 40%]".
_RESULT = re.compile(r"^(tests/workflows/\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED)"
                     r"(?:\s+\[\s*(\d+)%\])?")


def modules_with_scenarios(wanted: list[str] | None) -> list[str]:
    known = sorted(m for m in MODULES if (SCENARIOS / m).is_dir())
    unknown = sorted(set(wanted or ()) - set(known))
    if unknown:
        raise ValueError(f"no workflow scenarios for {unknown}; modules with scenarios: "
                         f"{', '.join(known)}")
    return [m for m in known if not wanted or m in wanted]


def written_since(started: float, modules: list[str]) -> list[Path]:
    return sorted(p for m in modules for p in (HISTORIES / m).glob("*.json")
                  if p.stat().st_mtime >= started)


def record(wanted: list[str] | None) -> int:
    if not SCENARIOS.is_dir():
        print("ledgerflow: record-histories runs from a checkout (tests/workflows/ is missing)",
              file=sys.stderr)
        return 2
    try:
        modules = modules_with_scenarios(wanted)
    except ValueError as exc:
        print(f"ledgerflow: {exc}", file=sys.stderr)
        return 2
    started = time.time()
    print(f"recording histories of {', '.join(modules)} on a throwaway stack...", flush=True)
    # One pytest session for every module: one PostgreSQL and one Temporal server for all.
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--no-header",
         "-o", "addopts=", *(f"tests/workflows/{m}" for m in modules)],
        cwd=ROOT, env={**os.environ, "LEDGERFLOW_RECORD_HISTORIES": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        tail = [*tail[-40:], line]
        found = _RESULT.match(line)
        if found:
            test, outcome, percent = found.groups()
            print(f"  [{percent or '?':>3}%] {outcome:<7} {test.removeprefix('tests/workflows/')}"
                  f"  ({time.time() - started:.0f} s)", flush=True)
    code = proc.wait()
    written = written_since(started, modules)
    for path in written:
        print(f"  wrote {path.relative_to(ROOT)}")
    if code != 0:
        print("".join(tail), file=sys.stderr)
        print(f"ledgerflow: a scenario failed (pytest exit {code}); histories written before "
              "the failure are kept: check `git diff tests/replay/histories`", file=sys.stderr)
        return 1
    print(f"{len(written)} histories recorded in {time.time() - started:.0f} s; replay them "
          "with `pytest tests/replay`")
    return 0
