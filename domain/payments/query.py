"""The v3 query builder as Ledgerflow reads it: `{}`, `{"$match": {key: value}}` or
`{"$and": [queries...]}` on an object's keys, to equality filters. Lists take it as their body,
and a dynamic pool keeps one to find its accounts each time it is read."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from domain.errors import ValidationError

# The account keys a dynamic pool's query may use (Formance also allows psu_id and
# open_banking_connection_id, which Ledgerflow's accounts do not have yet). "metadata" stands
# for `metadata[<key>]`: the account's metadata has <key> with the value.
POOL_QUERY_KEYS = ("id", "reference", "connector_id", "type", "default_asset", "name",
                   "metadata")


def metadata_key(key: str) -> str | None:
    """<key> of a `metadata[<key>]` filter key, else None."""
    if key.startswith("metadata[") and key.endswith("]") and len(key) > len("metadata[]"):
        return key[len("metadata["):-1]
    return None


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
    known = key != "metadata" and key in keys
    if not known and not ("metadata" in keys and metadata_key(key) is not None):
        raise ValidationError(f"unknown filter key {key!r}; known: {', '.join(sorted(keys))}")
    # A NUL cannot reach PostgreSQL text: refused here rather than failing there.
    if not isinstance(value, str) or "\x00" in value or "\x00" in key:
        raise ValidationError(f"the value of {key!r} must be a string")
    return {key: value}
