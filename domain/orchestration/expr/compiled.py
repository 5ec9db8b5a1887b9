"""A compiled expression: parsed once (syntax and names checked at trigger creation), evaluated
many times against an event."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.orchestration.expr import ast
from domain.orchestration.expr.errors import ExprError
from domain.orchestration.expr.functions import BUILTINS
from domain.orchestration.expr.interpreter import Interpreter
from domain.orchestration.expr.parser import parse

# `link(obj, rel)` is always known to the compiler; what it does is the evaluator's business.
LINK = "link"


@dataclass(frozen=True)
class Compiled:
    source: str
    tree: ast.Node

    def evaluate(self, env: Mapping[str, Any],
                 extra: Mapping[str, Callable[..., Any]] | None = None) -> Any:
        functions = {**BUILTINS, **(extra or {})}
        return Interpreter(dict(env), functions).run(self.tree)


def compile_expression(source: str, names: frozenset[str] = frozenset({"event"})) -> Compiled:
    """Parses `source` and checks that it names only `names` and known functions, so an
    expression that references nothing fails at creation rather than at every event."""
    tree = parse(source)
    _check_names(tree, names)
    return Compiled(source, tree)


def _check_names(root: ast.Node, names: frozenset[str]) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.name not in names:
            raise ExprError(f"unknown name {node.name!r}", node.pos)
        if isinstance(node, ast.Call) and node.name not in BUILTINS and node.name != LINK:
            raise ExprError(f"unknown function {node.name!r}", node.pos)
        if isinstance(node, (ast.Member,)):
            stack += [node.target, node.key]
        elif isinstance(node, ast.Slice):
            stack += [n for n in (node.target, node.start, node.end) if n is not None]
        elif isinstance(node, ast.Call):
            stack += list(node.args)
        elif isinstance(node, ast.Unary):
            stack.append(node.operand)
        elif isinstance(node, ast.Binary):
            stack += [node.left, node.right]
        elif isinstance(node, ast.Conditional):
            stack += [node.test, node.then, node.otherwise]
        elif isinstance(node, ast.ArrayLit):
            stack += list(node.items)
        elif isinstance(node, ast.MapLit):
            for key, value in node.entries:
                stack += [key, value]
