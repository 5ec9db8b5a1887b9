"""Every knob of Ledgerflow, read from the environment (and `.env`).

Everything external is a setting: when `DATABASE_URL` or `TEMPORAL_ADDRESS` is set the dev stack
uses it instead of starting the embedded PostgreSQL or the Temporal dev server.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # Where the processes listen and what they connect to.
    api_host: str = "127.0.0.1"
    api_port: int = Field(8080, ge=1, le=65535)
    api_workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes")
    api_shutdown_grace_seconds: int = Field(
        15, ge=0, le=600, description="on SIGTERM, how long requests in flight may finish; "
        "those still running are then cancelled and the process exits")
    database_url: str | None = Field(
        None, description="postgresql+asyncpg://... ; unset = the embedded PostgreSQL"
    )
    database_pool_size: int = Field(20, ge=1, le=500)
    temporal_address: str | None = Field(
        None, description="host:port of a Temporal frontend; unset = the dev server"
    )
    temporal_namespace: str = "default"

    # The embedded stack (used only when the URLs above are unset).
    data_dir: Path = PROJECT_ROOT / ".data"
    postgres_port: int = Field(5439, ge=1, le=65535)
    temporal_port: int = Field(7233, ge=1, le=65535)
    temporal_ui_port: int = Field(8233, ge=1, le=65535)

    # What the gateway reports in /versions.
    stack_region: str = "local"
    stack_env: str = "dev"

    # Temporal workers: which task queues this process polls ("all" in dev). A queue is named
    # in full (ledgerflow-payments) or by its group (payments). `python -m workers worker
    # --queues ... --concurrency N` overrides these two for one process.
    worker_task_queues: str = "all"
    worker_concurrency: int = Field(
        100, ge=1, le=10_000, description="activities one worker process runs at once on each "
        "task queue it polls (Temporal's max_concurrent_activities)")
    worker_queue_concurrency: str = Field(
        "", description="per-queue overrides of WORKER_CONCURRENCY: `payments=8,webhooks=64`")
    worker_queue_rate_limits: str = Field(
        "", description="activities per second across every worker of a queue, enforced by "
        "the Temporal server (a provider's rate limit): `payments=5`")
    worker_drain_grace_seconds: int = Field(
        30, ge=0, le=3600, description="on SIGTERM a worker stops polling and lets the "
        "activities in flight finish for this long; those still running are then cancelled "
        "(and retried by another worker) and the process exits 0")
    worker_metrics_port: int | None = Field(
        None, ge=1, le=65535, description="Prometheus /metrics of a worker process, with the "
        "Temporal SDK's own metrics; unset = not served")
    dispatcher_metrics_port: int | None = Field(
        None, ge=1, le=65535, description="Prometheus /metrics of the events dispatcher; "
        "unset = not served")
    otel_exporter_otlp_endpoint: str | None = Field(
        None, description="an OTLP/HTTP collector (http://collector:4318): traces of requests, "
        "workflow starts, workflows and activities are exported there; unset = no tracing")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Request size limits (api/input_guard.py), on every route including the ledger's hot write
    # routes. Generous for real use; they bound what one request can cost in memory and CPU.
    limit_body_bytes: int = Field(
        64 * 1024, ge=1024, description="largest request body (the ledger's log import has "
        "its own limit); a bigger one is refused with 413 before it is read")
    limit_postings_per_transaction: int = Field(1000, ge=1)
    limit_bulk_elements: int = Field(100, ge=1, description="Formance's own default bulk size")
    limit_metadata_keys: int = Field(256, ge=1, description="keys per metadata map")
    limit_metadata_value_chars: int = Field(
        16 * 1024, ge=64, description="characters per metadata key or value")
    limit_script_chars: int = Field(64 * 1024, ge=256, description="characters per Numscript")
    limit_body_bytes_in_flight: int = Field(
        64 * 1024, ge=1024, description="bodies above 4 KiB are served while those being "
        "served add up to at most this; the others wait (their body read): memory and the time "
        "other requests wait for the event loop stay bounded")

    # Auth (/api/auth and bearer tokens on every module). Off by default for the library and the
    # tests of other modules; `make run` turns it on.
    auth_enabled: bool = False
    public_base_url: str = Field(
        "http://127.0.0.1:8080", description="the URL clients reach the stack at; tokens are "
        "issued by <public_base_url>/api/auth"
    )
    auth_audience: str | None = Field(None, description="token audience; unset = public_base_url")
    # Above the 60 s the Formance SDKs subtract before reusing a token.
    auth_token_ttl_seconds: int = Field(3600, ge=120, le=86400)
    auth_clock_leeway_seconds: int = Field(30, ge=0, le=300)
    auth_bootstrap_client_id: str | None = None
    auth_bootstrap_client_secret: SecretStr | None = None
    auth_bootstrap_user_email: str | None = None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith(("postgres://", "postgresql://")):
            # Accept the usual libpq form; the engine needs the asyncpg dialect.
            _, rest = value.split("://", 1)
            return f"postgresql+asyncpg://{rest}"
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError(
                "DATABASE_URL must be a PostgreSQL URL (postgresql://user:pass@host:port/db)"
            )
        return value

    @field_validator("temporal_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("TEMPORAL_ADDRESS must be host:port, e.g. localhost:7233")
        return value

    @field_validator("worker_metrics_port", "dispatcher_metrics_port",
                     "otel_exporter_otlp_endpoint", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
                or parts.fragment:
            raise ValueError("PUBLIC_BASE_URL must be an http(s) URL such as https://stack.example")
        return value.rstrip("/")

    @field_validator("auth_bootstrap_client_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value()) < 32:
            raise ValueError("AUTH_BOOTSTRAP_CLIENT_SECRET must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _bootstrap_pair(self) -> Settings:
        if bool(self.auth_bootstrap_client_id) != (self.auth_bootstrap_client_secret is not None):
            raise ValueError(
                "AUTH_BOOTSTRAP_CLIENT_ID and AUTH_BOOTSTRAP_CLIENT_SECRET go together"
            )
        return self

    @model_validator(mode="after")
    def _distinct_ports(self) -> Settings:
        ports = [self.api_port, self.postgres_port, self.temporal_port, self.temporal_ui_port]
        if len(set(ports)) != len(ports):
            raise ValueError(f"API, PostgreSQL, Temporal and UI ports must differ, got {ports}")
        return self

    @property
    def embedded_database_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.postgres_port}/ledgerflow"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.embedded_database_url

    @property
    def effective_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
