"""Exporters and pipelines in PostgreSQL (domain.ledger.exporters.ExporterStore)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Table,
    Text,
    UniqueConstraint,
    delete,
    exists,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert

from domain.ledger.exporters import Exporter, Pipeline
from storage.database import Database
from storage.metadata import metadata

TZ = DateTime(timezone=True)

ledger_exporters = Table(
    "ledger_exporters",
    metadata,
    Column("id", Text, primary_key=True),
    Column("driver", Text, nullable=False),
    Column("config", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", TZ, nullable=False),
)

ledger_pipelines = Table(
    "ledger_pipelines",
    metadata,
    Column("id", Text, primary_key=True),
    Column("ledger", Text, nullable=False),
    Column("exporter_id", Text, ForeignKey("ledger_exporters.id"), nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("last_log_id", BigInteger, nullable=False, server_default=text("0")),
    UniqueConstraint("ledger", "exporter_id"),
)


def _exporter(row: Any) -> Exporter:
    return Exporter(row.id, row.driver, dict(row.config), row.created_at)


def _pipeline(row: Any) -> Pipeline:
    return Pipeline(row.id, row.ledger, row.exporter_id, row.created_at, row.enabled,
                    int(row.last_log_id))


class PgExporterStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    async def insert_exporter(self, exporter: Exporter) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(ledger_exporters.insert().values(
                id=exporter.id, driver=exporter.driver, config=exporter.config,
                created_at=exporter.created_at))

    async def get_exporter(self, exporter_id: str) -> Exporter | None:
        async with self.db.transaction() as conn:
            row = (await conn.execute(select(ledger_exporters).where(
                ledger_exporters.c.id == exporter_id))).first()
        return _exporter(row) if row else None

    async def list_exporters(self, offset: int = 0, limit: int | None = None
                             ) -> list[Exporter]:
        """Oldest first; `offset`/`limit` page the list (the API's offset cursors)."""
        stmt = select(ledger_exporters).order_by(
            ledger_exporters.c.created_at, ledger_exporters.c.id).offset(offset).limit(limit)
        async with self.db.transaction() as conn:
            rows = (await conn.execute(stmt)).all()
        return [_exporter(r) for r in rows]

    async def update_exporter(self, exporter_id: str, driver: str, config: dict[str, Any]
                              ) -> bool:
        async with self.db.transaction() as conn:
            result = await conn.execute(update(ledger_exporters).where(
                ledger_exporters.c.id == exporter_id).values(driver=driver, config=config))
        return bool(result.rowcount)

    async def delete_exporter(self, exporter_id: str) -> bool:
        async with self.db.transaction() as conn:
            result = await conn.execute(delete(ledger_exporters).where(
                ledger_exporters.c.id == exporter_id))
        return bool(result.rowcount)

    async def exporter_in_use(self, exporter_id: str) -> bool:
        async with self.db.transaction() as conn:
            return bool((await conn.execute(select(exists().where(
                ledger_pipelines.c.exporter_id == exporter_id)))).scalar())

    async def insert_pipeline(self, pipeline: Pipeline) -> bool:
        stmt = insert(ledger_pipelines).values(
            id=pipeline.id, ledger=pipeline.ledger, exporter_id=pipeline.exporter_id,
            created_at=pipeline.created_at, enabled=pipeline.enabled,
            last_log_id=pipeline.last_log_id,
        ).on_conflict_do_nothing()
        async with self.db.transaction() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def get_pipeline(self, ledger: str, pipeline_id: str) -> Pipeline | None:
        async with self.db.transaction() as conn:
            row = (await conn.execute(select(ledger_pipelines).where(
                ledger_pipelines.c.ledger == ledger,
                ledger_pipelines.c.id == pipeline_id))).first()
        return _pipeline(row) if row else None

    async def list_pipelines(self, ledger: str, offset: int = 0, limit: int | None = None
                             ) -> list[Pipeline]:
        stmt = select(ledger_pipelines).where(ledger_pipelines.c.ledger == ledger).order_by(
            ledger_pipelines.c.created_at, ledger_pipelines.c.id).offset(offset).limit(limit)
        async with self.db.transaction() as conn:
            rows = (await conn.execute(stmt)).all()
        return [_pipeline(r) for r in rows]

    async def delete_pipeline(self, ledger: str, pipeline_id: str) -> bool:
        async with self.db.transaction() as conn:
            result = await conn.execute(delete(ledger_pipelines).where(
                ledger_pipelines.c.ledger == ledger, ledger_pipelines.c.id == pipeline_id))
        return bool(result.rowcount)

    async def set_pipeline(self, pipeline_id: str, *, enabled: bool | None = None,
                           last_log_id: int | None = None) -> None:
        values: dict[str, Any] = {}
        if enabled is not None:
            values["enabled"] = enabled
        if last_log_id is not None:
            values["last_log_id"] = last_log_id
        if values:
            async with self.db.transaction() as conn:
                await conn.execute(update(ledger_pipelines).where(
                    ledger_pipelines.c.id == pipeline_id).values(**values))

    async def advance_pipeline(self, pipeline_id: str, from_id: int, to_id: int) -> bool:
        async with self.db.transaction() as conn:
            result = await conn.execute(update(ledger_pipelines).where(
                ledger_pipelines.c.id == pipeline_id,
                ledger_pipelines.c.last_log_id == from_id).values(last_log_id=to_id))
        return bool(result.rowcount)
