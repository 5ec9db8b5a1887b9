"""One fixed-width form for instants, so indexed times compare as strings in time order.

The API renders times with trailing zeros trimmed (`...:00.1Z`), which does not sort as text
(`.1Z` > `.12Z`): indexed copies and query values are both rewritten to microseconds, UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|z|[+-]\d{2}:?\d{2})?")
_FRACTION = re.compile(r"\.(\d+)")


@lru_cache(maxsize=4096)  # a ledger batch stamps many documents with the same instants
def normalise_time(value: str) -> str | None:
    """`value` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or None when it is not an ISO 8601 instant."""
    if not _ISO.fullmatch(value):
        return None
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6], value)  # nanoseconds: microseconds
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
