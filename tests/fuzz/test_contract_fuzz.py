"""The short fuzz profile: schemathesis over Formance's OpenAPI specs for every served module,
against a throwaway stack with auth on (`make fuzz` runs the long profile; see fuzz/)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fuzz.__main__ import fuzz, spec_path
from fuzz.run import SHORT, passed, print_summary

pytestmark = pytest.mark.fuzz

# A fixed seed keeps `make test` repeatable; FUZZ_SEED explores other cases.
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))


def test_short_profile_finds_no_server_error(tmp_path: Path) -> None:
    if not spec_path().exists():
        pytest.skip(f"no spec at {spec_path()}")
    result = fuzz(SHORT, workdir=tmp_path, seed=SEED)
    (tmp_path / "report.json").write_text(json.dumps(result, indent=2, default=str))
    print_summary(result)
    for module in ("gateway", "auth", "ledger", "wallets", "webhooks", "payments", "orchestration",
                   "reconciliation", "search"):
        assert module in result["modules"], result["modules"]
        assert result["cases"].get(module, 0) > 0, f"no case reached {module}"
    assert result["cases_total"] >= 200, result["cases"]
    assert passed(result), json.dumps(
        {k: result[k] for k in ("server_errors", "network_errors", "integrity_problems")},
        indent=2)
