"""Auth settings refuse weak or inconsistent values; the exemption list is exact."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.auth.enforcement import is_exempt
from config.settings import Settings


def test_defaults_keep_auth_off():
    settings = Settings()
    assert settings.auth_enabled is False
    assert settings.public_base_url == "http://127.0.0.1:8080"


def test_public_base_url_is_normalised_and_checked():
    assert Settings(public_base_url="https://stack.example/").public_base_url == \
        "https://stack.example"
    for bad in ("stack.example", "ftp://x", "https://x/?a=1", "https://x/#f"):
        with pytest.raises(ValidationError):
            Settings(public_base_url=bad)


def test_bootstrap_secret_must_be_strong_and_paired():
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(auth_bootstrap_client_id="boot", auth_bootstrap_client_secret="short")
    with pytest.raises(ValidationError, match="go together"):
        Settings(auth_bootstrap_client_id="boot")
    with pytest.raises(ValidationError, match="go together"):
        Settings(auth_bootstrap_client_secret="s" * 40)
    ok = Settings(auth_bootstrap_client_id="boot", auth_bootstrap_client_secret="s" * 40)
    assert ok.auth_bootstrap_client_secret is not None
    assert "s" * 40 not in repr(ok)  # a SecretStr never lands in logs


def test_token_ttl_outlives_the_sdk_refresh_margin():
    with pytest.raises(ValidationError):
        Settings(auth_token_ttl_seconds=60)


@pytest.mark.parametrize(("path", "exempt"), [
    ("/versions", True), ("/_healthcheck", True), ("/api/ledger/_info", True),
    ("/api/wallets/_healthcheck", True), ("/api/auth/oauth/token", True),
    ("/api/auth/keys", True), ("/api/auth/.well-known/openid-configuration", True),
    ("/api/docs", True), ("/api/openapi.json", True),
    ("/api/payments/v3/connectors/webhooks/c1/anything/else", True),
    ("/api/payments/connectors/webhooks/stripe/c1/x", True),
    ("/api/ledger/v2/main/_info", False), ("/api/auth/clients", False),
    ("/api/ledger/_info/", False), ("/versions/", False), ("/api/payments/v3/payments", False),
    ("/api/payments/v3/connectors/webhooks", False), ("/api/auth/oauth/token/x", False),
    ("/", False), ("//versions", False),
])
def test_exemptions(path: str, exempt: bool):
    assert is_exempt(path) is exempt
