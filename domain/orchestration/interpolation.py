"""`${var}` in stage definitions, as Formance fills them: each placeholder is replaced by the
instance's variable of that name (an unknown name by the empty string), textually, in every
string of the stage; a field left empty then takes its default (stages.py drops it before the
stage is parsed)."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def has_placeholder(value: object) -> bool:
    return isinstance(value, str) and PLACEHOLDER.search(value) is not None


def interpolate(value: Any, variables: dict[str, str]) -> Any:
    """A copy of `value` with every string filled in; a string that a placeholder emptied is
    removed from its object (so the field's default applies, as in Formance)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: variables.get(m.group(1).strip(), ""), value)
    if isinstance(value, list):
        return [interpolate(v, variables) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            filled = interpolate(item, variables)
            if filled == "" and has_placeholder(item):
                continue
            out[key] = filled
        return out
    return value
