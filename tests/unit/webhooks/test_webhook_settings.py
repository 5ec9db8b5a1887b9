"""Webhook durations come from the environment as seconds or ISO 8601, as documented."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from config.webhooks import WebhooksSettings


def test_durations_accept_seconds_and_iso8601(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERFLOW_WEBHOOKS_MIN_BACKOFF", "0.5")
    monkeypatch.setenv("LEDGERFLOW_WEBHOOKS_MAX_BACKOFF", "PT2M")
    settings = WebhooksSettings()
    assert settings.min_backoff == timedelta(milliseconds=500)
    assert settings.max_backoff == timedelta(minutes=2)


def test_a_duration_that_is_neither_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERFLOW_WEBHOOKS_POLL_INTERVAL", "soon")
    with pytest.raises(ValidationError, match="poll_interval"):
        WebhooksSettings()
