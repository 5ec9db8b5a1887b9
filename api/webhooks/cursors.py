"""Opaque Formance cursors for the deliveries lists: base64 of the query and the position."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from domain.errors import ValidationError


def encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode(token: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("invalid 'cursor' query param") from exc
    if not isinstance(state, dict):
        raise ValidationError("invalid 'cursor' query param")
    return state
