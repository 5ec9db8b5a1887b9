"""What the interpreter knows of values: their expr-lang type names and the size bounds every
value it builds is checked against."""

from __future__ import annotations

import math
from typing import Any

from domain.orchestration.expr.errors import ExprError
from domain.orchestration.expr.limits import MAX_INT_BITS, MAX_ITEMS, MAX_STRING_CHARS


def type_name(value: object) -> str:
    if value is None:
        return "nil"
    return {bool: "bool", int: "int", float: "float", str: "string", list: "array",
            dict: "map"}.get(type(value), type(value).__name__)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def checked(value: Any) -> Any:
    """Refuses values bigger than the limits (the result of every operation goes through)."""
    if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
        raise ExprError(f"string longer than {MAX_STRING_CHARS} characters")
    if isinstance(value, (list, dict)) and len(value) > MAX_ITEMS:
        raise ExprError(f"collection longer than {MAX_ITEMS} items")
    if isinstance(value, int) and not isinstance(value, bool) \
            and value.bit_length() > MAX_INT_BITS:
        raise ExprError(f"integer larger than {MAX_INT_BITS} bits")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExprError("number out of range")
    return value
