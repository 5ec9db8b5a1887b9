"""The binary operators on values (the interpreter evaluates both sides first)."""

from __future__ import annotations

from typing import Any

from domain.orchestration.expr.errors import ExprError
from domain.orchestration.expr.limits import MAX_ITEMS
from domain.orchestration.expr.values import checked, is_number, type_name


def equal(left: Any, right: Any) -> bool:
    if is_number(left) and is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(equal(a, b) for a, b in
                                                zip(left, right, strict=True))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    return bool(left == right)


def _numbers(op: str, left: Any, right: Any, pos: int) -> None:
    if not (is_number(left) and is_number(right)):
        raise ExprError(f"invalid operation: {type_name(left)} {op} {type_name(right)}", pos)


def apply(op: str, left: Any, right: Any, pos: int) -> Any:
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    if op in ("<", ">", "<=", ">="):
        if not ((is_number(left) and is_number(right))
                or (isinstance(left, str) and isinstance(right, str))):
            raise ExprError(f"invalid operation: {type_name(left)} {op} {type_name(right)}",
                            pos)
        return {"<": left < right, ">": left > right, "<=": left <= right,
                ">=": left >= right}[op]
    if op in ("in", "not in"):
        return _contains(right, left, pos) is (op == "in")
    if op in ("contains", "startsWith", "endsWith"):
        if not (isinstance(left, str) and isinstance(right, str)):
            raise ExprError(f"{op} takes strings, not {type_name(left)} and "
                            f"{type_name(right)}", pos)
        return {"contains": right in left, "startsWith": left.startswith(right),
                "endsWith": left.endswith(right)}[op]
    if op == "matches":
        # Backtracking regular expressions can run for exponential time on crafted input and
        # Python cannot interrupt them: refused rather than bounded.
        raise ExprError("'matches' (regular expressions) is not supported", pos)
    if op == "..":
        if not (isinstance(left, int) and isinstance(right, int)) or isinstance(left, bool) \
                or isinstance(right, bool):
            raise ExprError("a range takes ints", pos)
        if right - left + 1 > MAX_ITEMS:
            raise ExprError(f"range longer than {MAX_ITEMS} items", pos)
        return list(range(left, right + 1))
    if op == "+":
        if isinstance(left, str) and isinstance(right, str):
            return checked(left + right)
        if isinstance(left, list) and isinstance(right, list):
            return checked(left + right)
        _numbers(op, left, right, pos)
        return left + right
    _numbers(op, left, right, pos)
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if right == 0:
            raise ExprError("division by zero", pos)
        return left / right
    if op == "%":
        if not (isinstance(left, int) and isinstance(right, int)):
            raise ExprError("% takes ints", pos)
        if right == 0:
            raise ExprError("division by zero", pos)
        return left % right
    # ** and ^: a float power, as expr-lang (constant time, unlike an int power).
    try:
        return float(left) ** float(right)
    except (OverflowError, ZeroDivisionError, ValueError):
        raise ExprError("number out of range", pos) from None


def _contains(container: Any, item: Any, pos: int) -> bool:
    if isinstance(container, list):
        return any(equal(item, x) for x in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    if container is None:
        return False
    raise ExprError(f"'in' takes an array or a map, not {type_name(container)}", pos)
