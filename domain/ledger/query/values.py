"""Values inside filters and parameters: addresses, address patterns, dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from domain.errors import ValidationError
from domain.ledger.hashing import format_time

# --- Values -------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_ASSET = re.compile(r"[A-Z][A-Z0-9]{0,16}(_[A-Z]{1,16})?(/\d{1,6})?")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True)
class AddressPattern:
    """An address or address pattern. `segments` holds "" for a one-segment wildcard; `subtree`
    is a trailing `...` (any number of further segments, including none)."""

    raw: str
    segments: tuple[str, ...]
    subtree: bool = False

    @property
    def is_exact(self) -> bool:
        return not self.subtree and all(self.segments)


def parse_address_pattern(value: str, *, context: str = "address") -> AddressPattern:
    """Parse an address pattern: `users:1` (exact), `users:` / `:main` / `a::c` (an empty segment
    matches exactly one segment, same length), `users:...` (the subtree, `users` included)."""
    if value == "":
        raise ValidationError(f"{context}: the address pattern is empty")
    parts = value.split(":")
    subtree = parts[-1] == "..."
    if subtree:
        parts = parts[:-1]
    for part in parts:
        if part and not _SEGMENT.fullmatch(part):
            raise ValidationError(
                f"{context}: invalid address pattern {value!r}: segment {part!r} must match "
                "[A-Za-z0-9_-]+ (an empty segment is a one-segment wildcard, and only a trailing "
                "'...' is allowed)"
            )
    return AddressPattern(raw=value, segments=tuple(parts), subtree=subtree)


def parse_address(value: str, *, context: str = "address") -> str:
    """An exact address: segments of [A-Za-z0-9_-]+ joined by ':'."""
    if not all(_SEGMENT.fullmatch(p) for p in value.split(":")):
        raise ValidationError(
            f"{context}: invalid address {value!r}; expected segments of [A-Za-z0-9_-]+ "
            "joined by ':' (patterns are not allowed here)"
        )
    return value


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)


def parse_datetime(value: object, *, context: str = "date") -> datetime:
    """An RFC3339 date-time to an aware UTC datetime, rounded to the microsecond (the precision
    the API stores and renders; Go's time.Round rounds half away from zero, as here)."""
    if not isinstance(value, str):
        raise ValidationError(
            f"{context}: expected an RFC3339 date string, got {_describe(value)}"
        )
    m = _RFC3339.fullmatch(value.strip())
    if m is None:
        raise ValidationError(
            f"{context}: invalid date {value!r}; expected RFC3339 such as 2024-05-01T10:00:00Z"
        )
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    nanos = int((m.group(7) or "").ljust(9, "0"))
    offset = m.group(8)
    try:
        if offset in ("Z", "z"):
            tz = UTC
        else:
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        base = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        return (base + timedelta(microseconds=(nanos + 500) // 1000)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValidationError(f"{context}: invalid date {value!r}: {exc}") from None


def format_datetime(value: datetime) -> str:
    """The API time format: UTC, microseconds with trailing zeros trimmed, `Z` suffix."""
    return format_time(value)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


