"""Numscript, the Formance transaction language, in pure Python.

    program = compile_program(text, features=frozenset())        # cached; ParseError/AnalysisError
    result = await execute(program, {"amount": "USD/2 100"}, store)
    result.postings / result.tx_metadata / result.account_metadata

See reference/numscript.md for the language. Every error is a ``NumscriptError`` whose ``code`` is
a Formance ledger error code and whose ``kind`` is the reference interpreter's error name.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.numscript.ast import Program
from domain.numscript.cache import clear_cache, compile_program
from domain.numscript.errors import (
    AnalysisError,
    ExecutionError,
    MissingFundsError,
    NegativeAmountError,
    NumscriptError,
    ParseError,
)
from domain.numscript.interpreter import run
from domain.numscript.ports import StaticStore, Store
from domain.numscript.result import ExecutionResult, Posting


async def execute(
    program: Program,
    vars: Mapping[str, str],
    store: Store,
    features: frozenset[str] = frozenset(),
) -> ExecutionResult:
    """Run ``program`` with the variables' input strings, reading balances and metadata from
    ``store``. ``features`` adds to the flags given at compile time and in the pragma."""
    return await run(program, vars, store, features)


__all__ = [
    "AnalysisError",
    "ExecutionError",
    "ExecutionResult",
    "MissingFundsError",
    "NegativeAmountError",
    "NumscriptError",
    "ParseError",
    "Posting",
    "Program",
    "StaticStore",
    "Store",
    "clear_cache",
    "compile_program",
    "execute",
]
