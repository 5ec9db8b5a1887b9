"""Go-style durations ("1h30m", "500ms", "2.5s"), as Formance's `delay.duration` takes them."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
          "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
# A delay longer than this is surely a typo (and would overflow timers): ~100 years.
MAX_SECONDS = 100 * 365 * 24 * 3600.0


def parse_duration(text: str) -> timedelta:
    """ValueError when `text` is not a Go duration (a bare "0" is allowed, as in Go)."""
    s = text.strip()
    if s in ("0", "+0", "-0"):
        return timedelta(0)
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    total, pos = 0.0, 0
    while pos < len(s):
        match = _PART.match(s, pos)
        if match is None:
            raise ValueError(f"invalid duration {text!r} (expected e.g. \"30s\", \"1h30m\")")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if total > MAX_SECONDS:
        raise ValueError(f"duration {text!r} is too long")
    if sign < 0:
        raise ValueError(f"negative duration {text!r}")
    return timedelta(seconds=total)
