"""Formance webhook signatures and secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from domain.errors import ValidationError
from domain.webhooks.secrets import checked_secret, generate_secret
from domain.webhooks.signature import delivery_headers, sign, verify

SECRET = "V0bivxRWveaoz08afqjU6Ko/jwO0Cb+3"  # the spec's example


def test_signature_is_hmac_sha256_keyed_by_the_secret_text_over_id_timestamp_body() -> None:
    body = b'{"data":"test"}'
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), b"wh-1.1700000000." + body, hashlib.sha256).digest()
    ).decode()
    assert sign(SECRET, "wh-1", 1700000000, body) == f"v1,{expected}"


def test_verify_accepts_a_space_separated_list_and_rejects_tampering() -> None:
    body = b"{}"
    good = sign(SECRET, "id", 1, body)
    other = sign(generate_secret(), "id", 1, body)
    assert verify(SECRET, "id", 1, body, f"{other} {good}")
    assert not verify(SECRET, "id", 1, b"{ }", good)
    assert not verify(SECRET, "id", 2, body, good)


def test_headers_carry_id_timestamp_signature_test_flag_and_idempotency_key() -> None:
    headers = delivery_headers(secret=SECRET, webhook_id="w", timestamp=5, body=b"{}",
                               test=False, idempotency_key="k1")
    assert headers["formance-webhook-id"] == "w"
    assert headers["formance-webhook-timestamp"] == "5"
    assert headers["formance-webhook-test"] == "false"
    assert headers["formance-webhook-idempotency-key"] == "k1"
    assert headers["user-agent"] == "formance-webhooks/v0"
    no_key = delivery_headers(secret=SECRET, webhook_id="w", timestamp=5, body=b"{}",
                              test=True, idempotency_key=None)
    assert "formance-webhook-idempotency-key" not in no_key
    assert no_key["formance-webhook-test"] == "true"


def test_secrets_are_base64_of_24_bytes() -> None:
    assert len(base64.b64decode(generate_secret())) == 24
    assert checked_secret(SECRET) == SECRET
    assert len(base64.b64decode(checked_secret(None))) == 24
    assert len(base64.b64decode(checked_secret(""))) == 24
    for bad in ("not base64!", base64.b64encode(b"x" * 23).decode(),
                base64.b64encode(b"x" * 25).decode()):
        with pytest.raises(ValidationError):
            checked_secret(bad)
