"""How far the index is behind the outbox: the age of the oldest event the search consumer has
not indexed yet (0 when it has caught up) and how many are waiting (counted up to a cap). Read
by `_info` and by whatever exports metrics."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from storage.database import Database
from storage.search.consumer import CONSUMER_NAME

PENDING_COUNT_CAP = 100_000

_LAG = text("""
WITH o AS (
    SELECT COALESCE((SELECT last_tx_id FROM events_consumer_offsets WHERE consumer = :consumer),
                    CAST('0' AS xid8)) AS tx_id,
           COALESCE((SELECT last_event_id FROM events_consumer_offsets
                     WHERE consumer = :consumer), 0) AS event_id
)
SELECT
    (SELECT EXTRACT(EPOCH FROM clock_timestamp() - e.created_at)
     FROM events_outbox e, o WHERE (e.tx_id, e.id) > (o.tx_id, o.event_id)
     ORDER BY e.tx_id, e.id LIMIT 1) AS lag_seconds,
    (SELECT count(*) FROM (SELECT 1 FROM events_outbox e, o
                           WHERE (e.tx_id, e.id) > (o.tx_id, o.event_id)
                           LIMIT :cap) p) AS pending
""")


@dataclass(frozen=True, slots=True)
class IndexingLag:
    seconds: float
    pending_events: int
    pending_is_exact: bool


async def indexing_lag(database: Database) -> IndexingLag:
    async with database.engine.connect() as conn:
        row = (await conn.execute(_LAG, {"consumer": CONSUMER_NAME,
                                         "cap": PENDING_COUNT_CAP})).one()
    pending = int(row.pending)
    return IndexingLag(seconds=max(0.0, float(row.lag_seconds or 0.0)), pending_events=pending,
                       pending_is_exact=pending < PENDING_COUNT_CAP)
