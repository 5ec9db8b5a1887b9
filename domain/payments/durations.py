"""Go duration strings ("30m", "1h30m", "2s", "500ms"), the format of Formance's connector
`pollingPeriod`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(text: str) -> timedelta:
    """ValueError unless `text` is a positive Go duration."""
    value = text.strip()
    if not value:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if pos != len(value) or total <= 0:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=total)


def format_go_duration(period: timedelta) -> str:
    seconds = int(period.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s" if minutes \
        else f"{secs}s"
