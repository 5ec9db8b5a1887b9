"""What every reconciliation store shares: newest-first offset pages and outbox events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.pagination import Page
from domain.reconciliation.events import APP, EventType
from storage.database import Database
from storage.outbox import event_envelope, events_outbox

T = TypeVar("T")


async def page(database: Database, table: Table, stmt: Select[Any], offset: int, size: int,
               convert: Any) -> Page[Any]:
    """Rows newest first (ties by id), one more than `size` to know whether more follow."""
    stmt = stmt.order_by(table.c.created_at.desc(), table.c.id.desc()).offset(offset) \
        .limit(size + 1)
    async with database.engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return Page(data=[convert(r) for r in rows[:size]], page_size=size,
                has_more=len(rows) > size)


async def emit(conn: AsyncConnection, event_type: EventType, payload: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    await conn.execute(insert(events_outbox).values(
        app=APP, type=event_type.value,
        envelope=event_envelope(APP, event_type.value, payload, date=now), created_at=now))


def matching(table: Table, filters: dict[str, str], columns: dict[str, str]) -> Select[Any]:
    """SELECT of the table's rows whose columns equal the filters (API key -> column name)."""
    stmt = select(table)
    for key, value in filters.items():
        stmt = stmt.where(table.c[columns[key]] == value)
    return stmt
