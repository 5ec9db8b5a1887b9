"""The built-in functions of the subset (expr-lang names). None does I/O: `link` is given by
the caller (domain/orchestration/triggers.py), which decides how a linked resource is read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from domain.orchestration.expr.errors import ExprError
from domain.orchestration.expr.limits import MAX_ITEMS, MAX_STRING_CHARS
from domain.orchestration.expr.values import is_number, type_name


def _str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ExprError(f"{name}() takes a string, not {type_name(value)}")
    return value


def _len(value: Any) -> int:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise ExprError(f"len() takes a string, an array or a map, not {type_name(value)}")


def _string(value: Any) -> str:
    return stringify(value)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ExprError("int() of a bool")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ExprError(f"int(): {value!r} is not an integer") from None
    raise ExprError(f"int() of {type_name(value)}")


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ExprError("float() of a bool")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExprError(f"float() of {value!r}") from None


def _number(name: str, value: Any) -> Any:
    if not is_number(value):
        raise ExprError(f"{name}() takes numbers, not {type_name(value)}")
    return value


def _split(value: Any, sep: Any) -> list[str]:
    text, sep = _str("split", value), _str("split", sep)
    parts = text.split(sep) if sep else list(text)
    if len(parts) > MAX_ITEMS:
        raise ExprError(f"split(): more than {MAX_ITEMS} parts")
    return parts


def _join(items: Any, sep: Any = "") -> str:
    if not isinstance(items, list):
        raise ExprError(f"join() takes an array, not {type_name(items)}")
    return _str("join", sep).join(_str("join", i) for i in items)


def _repeat(value: Any, count: Any) -> str:
    text = _str("repeat", value)
    if not isinstance(count, int) or count < 0:
        raise ExprError("repeat() takes a non-negative int")
    if len(text) * count > MAX_STRING_CHARS:
        raise ExprError(f"repeat(): string longer than {MAX_STRING_CHARS} characters")
    return text * count


def _keys(value: Any) -> list[str]:
    if not isinstance(value, dict):
        raise ExprError(f"keys() takes a map, not {type_name(value)}")
    return list(value)


def _values(value: Any) -> list[Any]:
    if not isinstance(value, dict):
        raise ExprError(f"values() takes a map, not {type_name(value)}")
    return list(value.values())


def _extreme(name: str, pick: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        items = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        if not items:
            raise ExprError(f"{name}() of nothing")
        return pick(_number(name, x) for x in items)
    return run


def stringify(value: Any) -> str:
    """A value as a variable's text: strings as they are, numbers and the rest as JSON (floats
    JSON-encoded, as Formance does), nil as the empty string."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


BUILTINS: dict[str, Callable[..., Any]] = {
    "len": _len,
    "upper": lambda s: _str("upper", s).upper(),
    "lower": lambda s: _str("lower", s).lower(),
    "trim": lambda s, chars=None: _str("trim", s).strip(chars),
    "trimPrefix": lambda s, p: _str("trimPrefix", s).removeprefix(_str("trimPrefix", p)),
    "trimSuffix": lambda s, p: _str("trimSuffix", s).removesuffix(_str("trimSuffix", p)),
    "hasPrefix": lambda s, p: _str("hasPrefix", s).startswith(_str("hasPrefix", p)),
    "hasSuffix": lambda s, p: _str("hasSuffix", s).endswith(_str("hasSuffix", p)),
    "indexOf": lambda s, p: _str("indexOf", s).find(_str("indexOf", p)),
    "lastIndexOf": lambda s, p: _str("lastIndexOf", s).rfind(_str("lastIndexOf", p)),
    "replace": lambda s, old, new: _str("replace", s).replace(_str("replace", old),
                                                              _str("replace", new)),
    "split": _split,
    "join": _join,
    "repeat": _repeat,
    "string": _string,
    "int": _int,
    "float": _float,
    "abs": lambda n: abs(_number("abs", n)),
    "max": _extreme("max", max),
    "min": _extreme("min", min),
    "keys": _keys,
    "values": _values,
    "toJSON": lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
}
