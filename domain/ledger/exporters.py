"""Exporters (where logs go) and pipelines (one ledger's logs replicated to one exporter).

A pipeline is run by a Temporal workflow (workflows/ledger/pipeline.py) that reads the ledger's
logs after its last exported id and pushes them in batches; the row below is what the API
shows, and its `last_log_id` only moves once the exporter acknowledged a batch. Delivery is
at-least-once: a batch whose acknowledgement was lost (worker crash) is sent again, with the
same log ids, which is what a receiver deduplicates on."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlparse

from domain.errors import ConflictError, ValidationError
from domain.ledger.errors import ExporterNotFoundError, PipelineNotFoundError
from domain.ledger.hashing import format_time
from domain.ledger.models import Log

# Drivers Ledgerflow can run. Formance also has clickhouse and elasticsearch: those need a
# server this deployment does not have, so they are refused at creation instead of faked.
SUPPORTED_DRIVERS = ("http", "stdout", "noop")
UNAVAILABLE_DRIVERS = ("clickhouse", "elasticsearch")


@dataclass(frozen=True, slots=True)
class Exporter:
    id: str
    driver: str
    config: dict[str, Any]
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "driver": self.driver, "config": self.config,
                "createdAt": format_time(self.created_at)}


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: str
    ledger: str
    exporter_id: str
    created_at: datetime
    enabled: bool
    last_log_id: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "ledger": self.ledger, "exporterID": self.exporter_id,
                "createdAt": format_time(self.created_at), "enabled": self.enabled,
                "lastLogID": self.last_log_id}


def validate_exporter(body: object) -> tuple[str, dict[str, Any]]:
    if not isinstance(body, dict):
        raise ValidationError("the exporter must be an object {driver, config}")
    driver, config = body.get("driver"), body.get("config")
    if not isinstance(driver, str) or not driver:
        raise ValidationError("driver is required and must be a string")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ValidationError("config must be an object")
    if driver in UNAVAILABLE_DRIVERS:
        raise ValidationError(
            f"driver {driver!r} is not available in this deployment (no {driver} server); "
            f"supported drivers: {', '.join(SUPPORTED_DRIVERS)}")
    if driver not in SUPPORTED_DRIVERS:
        raise ValidationError(f"unknown driver {driver!r}; supported drivers: "
                              f"{', '.join(SUPPORTED_DRIVERS)}")
    if driver == "http":
        url = config.get("url")
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationError("the http driver needs config.url, an http(s) URL")
        headers = config.get("headers")
        if headers is not None and (not isinstance(headers, dict) or not all(
                isinstance(v, str) for v in headers.values())):
            raise ValidationError("config.headers must be an object of strings")
    return driver, config


def log_document(ledger: str, log: Log) -> dict[str, Any]:
    """What a driver sends for one log: the API's log plus its ledger (the dedup key is the
    pair ledger + id)."""
    doc: dict[str, Any] = {"ledger": ledger, "id": log.id, "type": log.type, "data": log.data,
                           "date": format_time(log.date),
                           "hash": base64.b64encode(log.hash).decode() if log.hash else ""}
    if log.idempotency_key:
        doc["idempotencyKey"] = log.idempotency_key
    return doc


class ExporterStore(Protocol):
    async def insert_exporter(self, exporter: Exporter) -> None: ...

    async def get_exporter(self, exporter_id: str) -> Exporter | None: ...

    async def list_exporters(self) -> list[Exporter]: ...

    async def update_exporter(self, exporter_id: str, driver: str, config: dict[str, Any]
                              ) -> bool: ...

    async def delete_exporter(self, exporter_id: str) -> bool: ...

    async def exporter_in_use(self, exporter_id: str) -> bool: ...

    async def insert_pipeline(self, pipeline: Pipeline) -> bool:
        """False when the ledger already has a pipeline to this exporter."""
        ...

    async def get_pipeline(self, ledger: str, pipeline_id: str) -> Pipeline | None: ...

    async def list_pipelines(self, ledger: str) -> list[Pipeline]: ...

    async def delete_pipeline(self, ledger: str, pipeline_id: str) -> bool: ...

    async def set_pipeline(self, pipeline_id: str, *, enabled: bool | None = None,
                           last_log_id: int | None = None) -> None: ...

    async def advance_pipeline(self, pipeline_id: str, from_id: int, to_id: int) -> bool:
        """Moves last_log_id from `from_id` to `to_id`; False when it was not `from_id`
        (reset meanwhile)."""
        ...


class ExportersService:
    def __init__(self, store: ExporterStore) -> None:
        self.store = store

    async def create_exporter(self, exporter_id: str, body: object, now: datetime) -> Exporter:
        driver, config = validate_exporter(body)
        exporter = Exporter(exporter_id, driver, config, now)
        await self.store.insert_exporter(exporter)
        return exporter

    async def get_exporter(self, exporter_id: str) -> Exporter:
        found = await self.store.get_exporter(exporter_id)
        if found is None:
            raise ExporterNotFoundError(exporter_id)
        return found

    async def update_exporter(self, exporter_id: str, body: object) -> None:
        driver, config = validate_exporter(body)
        if not await self.store.update_exporter(exporter_id, driver, config):
            raise ExporterNotFoundError(exporter_id)

    async def delete_exporter(self, exporter_id: str) -> None:
        if await self.store.exporter_in_use(exporter_id):
            raise ValidationError(f"exporter {exporter_id!r} is used by pipelines: delete "
                                  "them first")
        if not await self.store.delete_exporter(exporter_id):
            raise ExporterNotFoundError(exporter_id)

    async def create_pipeline(self, pipeline_id: str, ledger: str, exporter_id: str,
                              now: datetime) -> Pipeline:
        await self.get_exporter(exporter_id)
        pipeline = Pipeline(pipeline_id, ledger, exporter_id, now, True, 0)
        if not await self.store.insert_pipeline(pipeline):
            raise ConflictError(f"ledger {ledger!r} already has a pipeline to exporter "
                                f"{exporter_id!r}")
        return pipeline

    async def get_pipeline(self, ledger: str, pipeline_id: str) -> Pipeline:
        found = await self.store.get_pipeline(ledger, pipeline_id)
        if found is None:
            raise PipelineNotFoundError(pipeline_id)
        return found
