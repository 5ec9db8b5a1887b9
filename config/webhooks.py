"""`LEDGERFLOW_WEBHOOKS_*`: the webhooks module's settings. Durations accept seconds
(`LEDGERFLOW_WEBHOOKS_MIN_BACKOFF=0.5`) or ISO 8601 (`PT1M`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.durations import seconds_or_iso

TASK_QUEUE = "ledgerflow-webhooks"


class WebhooksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_WEBHOOKS_", extra="ignore",
                                      frozen=True)

    # The Formance retry schedule (domain.webhooks.policy.RetrySchedule reads these fields).
    min_backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(hours=1)
    abort_after: timedelta = timedelta(hours=10)
    max_attempts: int = Field(15, ge=1)
    retry_after_cap: timedelta = timedelta(hours=6)

    # The happy path: how the dispatcher reads the outbox and sends first attempts.
    http_timeout: timedelta = timedelta(seconds=30)
    outbox_batch_size: int = Field(500, ge=1)
    send_batch_size: int = Field(50, ge=1)
    max_concurrent_sends: int = Field(64, ge=1)
    poll_interval: timedelta = timedelta(seconds=3)
    claim_timeout: timedelta = timedelta(minutes=5)

    task_queue: str = TASK_QUEUE

    _durations = field_validator("min_backoff", "max_backoff", "abort_after", "retry_after_cap",
                                 "http_timeout", "poll_interval", "claim_timeout",
                                 mode="before")(seconds_or_iso)
