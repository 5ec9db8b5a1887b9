"""Every knob of Ledgerflow, read from the environment (and `.env`).

Everything external is a setting: when `DATABASE_URL` or `TEMPORAL_ADDRESS` is set the dev stack
uses it instead of starting the embedded PostgreSQL or the Temporal dev server.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # Where the processes listen and what they connect to.
    api_host: str = "127.0.0.1"
    api_port: int = Field(8080, ge=1, le=65535)
    api_workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes")
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

    # Temporal workers: which task queues this process polls ("all" in dev).
    worker_task_queues: str = "all"

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

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
