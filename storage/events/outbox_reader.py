"""Reads the outbox in commit-safe order and keeps each consumer's offset, on a connection inside
the caller's transaction.

Order is (tx_id, id), bounded by the xmin of the current snapshot: every transaction below it has
finished, so no event can ever appear behind the offset (migration 0003 explains why plain id
order would lose events). The price: a transaction left open for long holds the frontier back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events.models import Event


@dataclass(frozen=True)
class Offset:
    tx_id: int
    event_id: int


_ENSURE_OFFSET = text(
    "INSERT INTO events_consumer_offsets (consumer) VALUES (:consumer) ON CONFLICT DO NOTHING"
)
# FOR UPDATE serialises dispatchers of the same consumer batch by batch: a second one waits for
# the first to commit and then reads the advanced offset.
_LOCK_OFFSET = text("""
SELECT CAST(CAST(last_tx_id AS text) AS bigint) AS tx_id, last_event_id
FROM events_consumer_offsets WHERE consumer = :consumer FOR UPDATE
""")
_READ_AFTER = text("""
SELECT id, app, type, envelope, created_at, CAST(CAST(tx_id AS text) AS bigint) AS tx_id
FROM events_outbox
WHERE (tx_id, id) > (CAST(CAST(CAST(:tx_id AS bigint) AS text) AS xid8), :event_id)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY tx_id, id
LIMIT :limit
""")
_ADVANCE = text("""
UPDATE events_consumer_offsets
SET last_tx_id = CAST(CAST(CAST(:tx_id AS bigint) AS text) AS xid8),
    last_event_id = :event_id, updated_at = now()
WHERE consumer = :consumer
""")


async def lock_offset(conn: AsyncConnection, consumer: str) -> Offset:
    await conn.execute(_ENSURE_OFFSET, {"consumer": consumer})
    row = (await conn.execute(_LOCK_OFFSET, {"consumer": consumer})).one()
    return Offset(tx_id=int(row.tx_id), event_id=int(row.last_event_id))


async def read_after(conn: AsyncConnection, offset: Offset, limit: int
                     ) -> tuple[list[Event], Offset]:
    """The next events after `offset` and the offset just past them."""
    rows = (await conn.execute(_READ_AFTER, {
        "tx_id": offset.tx_id, "event_id": offset.event_id, "limit": limit,
    })).all()
    events = [
        Event(id=r.id, app=r.app, type=r.type, envelope=r.envelope, created_at=r.created_at)
        for r in rows
    ]
    last = Offset(tx_id=int(rows[-1].tx_id), event_id=int(rows[-1].id)) if rows else offset
    return events, last


async def advance(conn: AsyncConnection, consumer: str, offset: Offset) -> None:
    await conn.execute(_ADVANCE, {
        "consumer": consumer, "tx_id": offset.tx_id, "event_id": offset.event_id,
    })
