"""`LEDGERFLOW_PIPELINES_*`: the ledger pipelines' settings (the workflows that replicate a
ledger's logs to an exporter). Durations accept seconds (`0.2`) or ISO 8601 (`PT1S`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.durations import seconds_or_iso

TASK_QUEUE = "ledgerflow-ledger"


class PipelineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_PIPELINES_", extra="ignore",
                                      frozen=True)

    batch_size: int = Field(100, ge=1)  # logs per export activity
    poll_interval: timedelta = timedelta(seconds=1)  # when caught up, look again after this
    # Loop iterations (batches and idle polls) per workflow run before continue-as-new keeps
    # the history short.
    iterations_per_run: int = Field(200, ge=1)
    exporter_http_timeout: timedelta = timedelta(seconds=30)
    task_queue: str = TASK_QUEUE

    _durations = field_validator("poll_interval", "exporter_http_timeout",
                                 mode="before")(seconds_or_iso)
