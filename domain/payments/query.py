"""The v3 query builder as Ledgerflow reads it: `{}`, `{"$match": {key: value}}` or
`{"$and": [queries...]}` on an object's keys, to equality filters. Lists take it as their body,
and a dynamic pool keeps one to find its accounts each time it is read."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from domain.errors import ValidationError

# The account keys a dynamic pool's query may use (Formance also allows psu_id,
# open_banking_connection_id and metadata, which Ledgerflow's accounts do not have yet).
POOL_QUERY_KEYS = ("id", "reference", "connector_id", "type", "default_asset", "name")


def parse_filters(query: Any, keys: Collection[str]) -> dict[str, str]:
    if query is None or query == {}:
        return {}
    if not isinstance(query, dict) or len(query) != 1:
        raise ValidationError("the query must be one operator: $match or $and")
    (operator, operand), = query.items()
    if operator == "$and" and isinstance(operand, list):
        out: dict[str, str] = {}
        for clause in operand:
            out.update(parse_filters(clause, keys))
        return out
    if operator != "$match" or not isinstance(operand, dict) or len(operand) != 1:
        raise ValidationError(f"unsupported query operator {operator!r}: use $match or $and")
    (key, value), = operand.items()
    if key not in keys:
        raise ValidationError(f"unknown filter key {key!r}; known: {', '.join(sorted(keys))}")
    # A NUL cannot reach PostgreSQL text: refused here rather than failing there.
    if not isinstance(value, str) or "\x00" in value:
        raise ValidationError(f"the value of {key!r} must be a string")
    return {key: value}
