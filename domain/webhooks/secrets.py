"""Signing secrets: base64 (standard alphabet, padded) of exactly 24 random bytes."""

from __future__ import annotations

import base64
import binascii
import secrets

from domain.errors import ValidationError

SECRET_BYTES = 24


def generate_secret() -> str:
    return base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def checked_secret(secret: str | None) -> str:
    """The secret to store: a fresh one when none (or an empty one) is given, else the given one
    if it decodes to exactly 24 bytes. It is stored as typed, because it signs as typed."""
    if not secret:
        return generate_secret()
    try:
        raw = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("secret: must be base64 encoded") from exc
    if len(raw) != SECRET_BYTES:
        raise ValidationError(
            f"secret: must be base64 of {SECRET_BYTES} bytes, got {len(raw)} bytes"
        )
    return secret
