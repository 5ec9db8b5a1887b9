"""JSON for the ledger tables. orjson where it is safe; the stdlib where integers may exceed 64
bits (amounts): orjson refuses to dump them and silently turns them into floats when loading."""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(text: str | bytes | None) -> Any:
    if text is None:
        return None
    return json.loads(text)
