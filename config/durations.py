"""Durations in module settings: seconds (`0.5`) or ISO 8601 (`PT1M`), so tests and benchmarks
can run hour-long schedules in seconds through the environment alone."""

from __future__ import annotations

from datetime import timedelta


def seconds_or_iso(value: object) -> object:
    """A pydantic `mode="before"` validator body. Environment values are strings, and pydantic
    reads "0.5" as no duration format it knows; ISO 8601 strings go on to pydantic's own parser."""
    if isinstance(value, str):
        try:
            return timedelta(seconds=float(value))
        except ValueError:
            return value
    return value
