"""`LEDGERFLOW_SEARCH_*`: the search module's settings. Search runs no workflows, so it has no
task queue: its one process is the outbox consumer in the events dispatcher. Durations accept
seconds (`LEDGERFLOW_SEARCH_POLL_INTERVAL=0.05`) or ISO 8601 (`PT0.1S`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.durations import seconds_or_iso


class SearchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_SEARCH_", extra="ignore",
                                      frozen=True)

    # The consumer drains the outbox in batches of this many events, and polls this often once
    # it has caught up: the lag after a quiet moment is at most one poll interval (the goal is
    # under one second at the ledger's full write rate).
    outbox_batch_size: int = Field(1000, ge=1)
    poll_interval: timedelta = timedelta(milliseconds=100)
    # The reindex command writes this many documents per transaction (one checkpoint each).
    reindex_batch_size: int = Field(2000, ge=1)

    _durations = field_validator("poll_interval", mode="before")(seconds_or_iso)
