"""A safe subset of expr-lang (the language Formance triggers use for `filter` and `vars`):
a tokenizer, a parser to a small AST and an interpreter over JSON values. Never Python `eval`:
source length, nesting depth, evaluation steps, wall time and the size of every value built are
bounded (limits.py), so a hostile expression is an error, not a stuck worker."""

from domain.orchestration.expr.compiled import Compiled, compile_expression
from domain.orchestration.expr.errors import ExprError

__all__ = ["Compiled", "ExprError", "compile_expression"]
