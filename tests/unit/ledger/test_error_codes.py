"""Every code a ledger error carries is a member of the ledger's ErrorCode (Formance's
V2ErrorsEnum), so the API never answers with a code an SDK cannot parse; the v1 routes map every
one of them onto the v1 enum."""

from __future__ import annotations

import inspect
from pathlib import Path

import yaml

from api.ledger.v1 import v1_code
from domain.errors import DomainError
from domain.ledger import errors as ledger_errors
from domain.ledger.errors import ErrorCode, V1ErrorCode
from domain.numscript import errors as numscript_errors


def _domain_errors(module: object) -> list[type[DomainError]]:
    return [cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, DomainError)]


def test_every_ledger_and_numscript_error_code_is_an_error_code_member() -> None:
    codes = {c.value for c in ErrorCode}
    for cls in _domain_errors(ledger_errors) + _domain_errors(numscript_errors):
        assert cls.code in codes, f"{cls.__name__}.code {cls.code!r}"


def test_the_enums_are_formance_s(shared_dir: Path) -> None:
    specs = shared_dir / "formance-openapi/ledger/openapi"
    v2 = _enum(specs / "v2.yaml", "V2ErrorsEnum")
    v1 = _enum(specs / "v1.yaml", "ErrorsEnum")
    # SERVICE_UNAVAILABLE is Ledgerflow's own 503 (PostgreSQL or Temporal not answering).
    assert [c.value for c in ErrorCode] == [*v2, "SERVICE_UNAVAILABLE"]
    assert sorted(c.value for c in V1ErrorCode) == sorted(v1)


def test_every_v2_code_has_a_v1_answer() -> None:
    v1 = {c.value for c in V1ErrorCode}
    for code in ErrorCode:
        assert v1_code(code) in v1, code


def _enum(spec: Path, name: str) -> list[str]:
    enum: list[str] = yaml.safe_load(spec.read_text())["components"]["schemas"][name]["enum"]
    return enum
