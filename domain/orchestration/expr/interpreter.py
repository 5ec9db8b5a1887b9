"""Evaluates a syntax tree over JSON values (None, bool, int, float, str, list, dict), with
expr-lang's semantics for what triggers use: a missing map key is nil, `?.` and `??` absorb nil,
`/` is a float division, `&&`/`||` take booleans and short-circuit. Every node costs a step;
steps, wall time, recursion and the size of what is built are bounded (limits.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from domain.orchestration.expr import ast
from domain.orchestration.expr.errors import ExprError
from domain.orchestration.expr.limits import MAX_DEPTH, MAX_SECONDS, MAX_STEPS
from domain.orchestration.expr.operators import apply
from domain.orchestration.expr.values import checked, is_number, type_name

Function = Callable[..., Any]


class Interpreter:
    def __init__(self, env: dict[str, Any], functions: dict[str, Function]) -> None:
        self.env = env
        self.functions = functions
        self.steps = 0
        self.depth = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def run(self, node: ast.Node) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ExprError(f"evaluation took more than {MAX_STEPS} steps")
        if self.steps % 64 == 0 and time.monotonic() > self.deadline:
            raise ExprError(f"evaluation took longer than {int(MAX_SECONDS * 1000)} ms")
        self.depth += 1
        if self.depth > MAX_DEPTH * 2:
            raise ExprError("evaluation nested too deeply")
        try:
            return checked(self._eval(node))
        finally:
            self.depth -= 1

    def _eval(self, node: ast.Node) -> Any:
        if isinstance(node, ast.Literal):
            return node.value
        if isinstance(node, ast.Name):
            if node.name not in self.env:
                raise ExprError(f"unknown name {node.name!r}", node.pos)
            return self.env[node.name]
        if isinstance(node, ast.Member):
            return self._member(node)
        if isinstance(node, ast.Slice):
            return self._slice(node)
        if isinstance(node, ast.Call):
            fn = self.functions.get(node.name)
            if fn is None:
                raise ExprError(f"unknown function {node.name!r}", node.pos)
            args = [self.run(a) for a in node.args]
            try:
                return fn(*args)
            except ExprError:
                raise
            except (TypeError, ValueError, KeyError, IndexError) as exc:
                raise ExprError(f"{node.name}(): {exc}", node.pos) from None
        if isinstance(node, ast.Unary):
            return self._unary(node)
        if isinstance(node, ast.Binary):
            return self._binary(node)
        if isinstance(node, ast.Conditional):
            test = self.run(node.test)
            if not isinstance(test, bool):
                raise ExprError(f"a condition must be a bool, not {type_name(test)}")
            return self.run(node.then if test else node.otherwise)
        if isinstance(node, ast.ArrayLit):
            return [self.run(i) for i in node.items]
        if isinstance(node, ast.MapLit):
            out: dict[str, Any] = {}
            for key_node, value_node in node.entries:
                key = self.run(key_node)
                out[key if isinstance(key, str) else str(key)] = self.run(value_node)
            return out
        raise ExprError(f"cannot evaluate {type(node).__name__}")

    def _member(self, node: ast.Member) -> Any:
        target = self.run(node.target)
        if target is None:
            if node.optional:
                return None
            key = self.run(node.key)
            raise ExprError(f"cannot fetch {key!r} from nil", node.pos)
        key = self.run(node.key)
        if isinstance(target, dict):
            if not isinstance(key, str):
                raise ExprError(f"a map key must be a string, not {type_name(key)}", node.pos)
            return target.get(key)
        if isinstance(target, (list, str)):
            if not isinstance(key, int) or isinstance(key, bool):
                raise ExprError(f"an index must be an int, not {type_name(key)}", node.pos)
            index = key + len(target) if key < 0 else key
            if not 0 <= index < len(target):
                raise ExprError(f"index out of range: {key} (length {len(target)})", node.pos)
            return target[index]
        raise ExprError(f"cannot fetch {key!r} from {type_name(target)}", node.pos)

    def _slice(self, node: ast.Slice) -> Any:
        target = self.run(node.target)
        if not isinstance(target, (list, str)):
            raise ExprError(f"cannot slice {type_name(target)}", node.pos)
        bounds = []
        for part in (node.start, node.end):
            value = None if part is None else self.run(part)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ExprError(f"a slice bound must be an int, not {type_name(value)}",
                                node.pos)
            bounds.append(value)
        return target[bounds[0]:bounds[1]]

    def _unary(self, node: ast.Unary) -> Any:
        value = self.run(node.operand)
        if node.op == "!":
            if not isinstance(value, bool):
                raise ExprError(f"! takes a bool, not {type_name(value)}", node.pos)
            return not value
        if not is_number(value):
            raise ExprError(f"unary {node.op} takes a number, not {type_name(value)}",
                            node.pos)
        return -value if node.op == "-" else value

    def _binary(self, node: ast.Binary) -> Any:
        op = node.op
        if op in ("&&", "||"):
            left = self.run(node.left)
            if not isinstance(left, bool):
                raise ExprError(f"{op} takes bools, not {type_name(left)}", node.pos)
            if (op == "&&" and not left) or (op == "||" and left):
                return left
            right = self.run(node.right)
            if not isinstance(right, bool):
                raise ExprError(f"{op} takes bools, not {type_name(right)}", node.pos)
            return right
        if op == "??":
            left = self.run(node.left)
            return left if left is not None else self.run(node.right)
        left, right = self.run(node.left), self.run(node.right)
        return apply(op, left, right, node.pos)
