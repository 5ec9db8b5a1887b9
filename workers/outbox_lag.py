"""How far each outbox consumer is behind, as gauges of the dispatcher's /metrics: the age of
the oldest event it has not consumed (0 when it is caught up) and how many events wait (counted
up to a cap, so a huge backlog costs one bounded scan per refresh). Refreshed every few seconds
by the dispatcher process, not per scrape, so scrapes never wait on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import Gauge
from sqlalchemy import text

from storage.database import Database

log = logging.getLogger("ledgerflow.metrics")

REFRESH_SECONDS = 5.0
BACKLOG_CAP = 100_000

OUTBOX_LAG_SECONDS = Gauge("ledgerflow_outbox_lag_seconds",
                           "Age of the oldest outbox event a consumer has not handled",
                           ["consumer"])
OUTBOX_BACKLOG = Gauge("ledgerflow_outbox_backlog_events",
                       f"Outbox events a consumer has not handled (counted up to {BACKLOG_CAP})",
                       ["consumer"])

# The consumer's position is (tx_id, id), the order storage/events/outbox_reader.py reads in.
_LAG = text(f"""
SELECT o.consumer,
       COALESCE(EXTRACT(EPOCH FROM now() - (
           SELECT e.created_at FROM events_outbox e
           WHERE (e.tx_id, e.id) > (o.last_tx_id, o.last_event_id)
           ORDER BY e.tx_id, e.id LIMIT 1)), 0) AS lag_seconds,
       (SELECT count(*) FROM (
           SELECT 1 FROM events_outbox e
           WHERE (e.tx_id, e.id) > (o.last_tx_id, o.last_event_id)
           LIMIT {BACKLOG_CAP}) AS waiting) AS backlog
FROM events_consumer_offsets o
""")


async def refresh(database: Database) -> None:
    async with database.engine.connect() as conn:
        for row in await conn.execute(_LAG):
            OUTBOX_LAG_SECONDS.labels(row.consumer).set(max(float(row.lag_seconds), 0.0))
            OUTBOX_BACKLOG.labels(row.consumer).set(int(row.backlog))


async def run(database: Database, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await refresh(database)
        except Exception as exc:  # PostgreSQL away: the gauges keep their last values
            log.debug("outbox lag not refreshed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REFRESH_SECONDS)
