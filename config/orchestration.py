"""`LEDGERFLOW_ORCHESTRATION_*`: the orchestration module's settings. Durations accept seconds
(`LEDGERFLOW_ORCHESTRATION_TRIGGER_POLL_INTERVAL=0.1`) or ISO 8601 (`PT1S`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.durations import seconds_or_iso

TASK_QUEUE = "ledgerflow-orchestration"


class OrchestrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_ORCHESTRATION_", extra="ignore",
                                      frozen=True)

    task_queue: str = TASK_QUEUE
    # How often the triggers consumer looks at the outbox once it has caught up: the floor of
    # the event -> instance latency.
    trigger_poll_interval: timedelta = timedelta(milliseconds=100)
    trigger_batch_size: int = Field(200, ge=1)
    # Events an instance keeps for a wait_event stage that has not started yet.
    max_pending_events: int = Field(100, ge=1)
    # How often a send to a payment destination with `awaitFinalStatus` reads the initiation.
    payment_poll_interval: timedelta = timedelta(seconds=5)
    # link() in trigger expressions: the longest read of one linked resource, and the URL
    # prefixes a link may point under (comma-separated; the stack's own gateway by default).
    link_timeout: timedelta = timedelta(seconds=2)
    link_allowed_prefixes: str = "http://127.0.0.1:8080/api/,http://localhost:8080/api/"
    # The longest a `?wait=true` run answers after; then it answers with the running instance.
    run_wait_timeout: timedelta = timedelta(minutes=5)

    @property
    def link_prefixes(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.link_allowed_prefixes.split(",") if p.strip())

    _durations = field_validator("trigger_poll_interval", "run_wait_timeout",
                                 "payment_poll_interval", "link_timeout",
                                 mode="before")(seconds_or_iso)
