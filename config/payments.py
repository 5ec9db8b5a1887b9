"""`LEDGERFLOW_PAYMENTS_*`: the payments module's settings. Durations accept seconds
(`LEDGERFLOW_PAYMENTS_MIN_POLLING_PERIOD=2`) or ISO 8601 (`PT20M`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.durations import seconds_or_iso

TASK_QUEUE = "ledgerflow-payments"


class PaymentsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_PAYMENTS_", extra="ignore",
                                      frozen=True)

    # Formance refuses connector polling periods under 20 minutes; a setting here, so tests and
    # `make run` users can poll every few seconds.
    min_polling_period: timedelta = timedelta(minutes=20)
    # Each provider HTTP call (the generic connector): a slow provider fails the attempt, which
    # Temporal retries with backoff.
    http_timeout: timedelta = timedelta(seconds=10)

    # A connector whose provider failed this many fetch runs in a row has its schedules
    # paused, with the reason shown by the schedules API and the Temporal UI; a config change
    # resumes them.
    pause_after_failures: int = Field(5, ge=1)

    # Formance's PayoutsPerSecond: each connector's transfers and payouts are sent at most
    # this many per second (a connector's config may set its own `payoutsPerSecond`).
    sends_per_second: float = Field(100.0, gt=0)
    # A sent initiation whose payment is not final yet is looked at again this often.
    initiation_poll_interval: timedelta = timedelta(seconds=30)
    # An open-banking link the user has not come back from after this is exited.
    link_expiry: timedelta = timedelta(minutes=30)

    task_queue: str = TASK_QUEUE

    _durations = field_validator("min_polling_period", "http_timeout",
                                 "initiation_poll_interval", "link_expiry",
                                 mode="before")(seconds_or_iso)
