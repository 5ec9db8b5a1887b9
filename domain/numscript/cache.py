"""``compile_program``: parse + analyse, memoised by (script text, host features).

Compiled programs are immutable and shared between executions, so the cache hands out the same
object to every caller.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from domain.numscript.analysis import analyse
from domain.numscript.ast import Program
from domain.numscript.interpreter import plan
from domain.numscript.parser import parse

CACHE_SIZE: Final = 1024


def compile_program(text: str, features: frozenset[str] = frozenset()) -> Program:
    """Raises ``ParseError``/``AnalysisError`` subclasses (code COMPILATION_FAILED). Failures
    are not cached: a broken script costs a parse each time it is submitted."""
    return _compile(text, frozenset(features))


@lru_cache(maxsize=CACHE_SIZE)
def _compile(text: str, features: frozenset[str]) -> Program:
    program = parse(text, features)
    analyse(program)
    plan(program)
    return program


def clear_cache() -> None:
    _compile.cache_clear()
