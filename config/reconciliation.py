"""`LEDGERFLOW_RECONCILIATION_*`: the reconciliation module's settings. Durations accept seconds
(`LEDGERFLOW_RECONCILIATION_RUN_TIMEOUT=30`) or ISO 8601 (`PT1M`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.durations import seconds_or_iso

TASK_QUEUE = "ledgerflow-reconciliation"


class ReconciliationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_RECONCILIATION_", extra="ignore",
                                      frozen=True)

    # A run or an on-demand evaluation answers within the request: past this, its workflow is
    # timed out and the client gets an error instead of a request hanging on a stuck worker.
    run_timeout: timedelta = timedelta(minutes=1)

    task_queue: str = TASK_QUEUE

    _durations = field_validator("run_timeout", mode="before")(seconds_or_iso)
