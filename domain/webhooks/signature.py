"""The Formance webhook signature and headers.

The HMAC key is the secret string's bytes *as stored* (the base64 text, not its decoding): that is
what Formance does, and receivers written for Formance verify exactly that."""

from __future__ import annotations

import base64
import hashlib
import hmac

USER_AGENT = "formance-webhooks/v0"


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(secret: str, webhook_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when any `v1,<sig>` of the space-separated header matches (as Formance verifiers do,
    so a secret rotation can sign with both secrets)."""
    expected = sign(secret, webhook_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in header.split())


def delivery_headers(
    *, secret: str, webhook_id: str, timestamp: int, body: bytes, test: bool,
    idempotency_key: str | None,
) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "formance-webhook-id": webhook_id,
        "formance-webhook-timestamp": str(timestamp),
        "formance-webhook-signature": sign(secret, webhook_id, timestamp, body),
        "formance-webhook-test": "true" if test else "false",
    }
    if idempotency_key:
        headers["formance-webhook-idempotency-key"] = idempotency_key
    return headers
