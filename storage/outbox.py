"""Writing Formance events to the outbox, inside the caller's database transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, DateTime, Identity, Table, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import BigInteger

from storage.metadata import metadata

EVENTS_VERSION = "v2"

events_outbox = Table(
    "events_outbox",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("app", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Raw SQL for asyncpg on hot paths: one parameterised statement, no ORM.
INSERT_EVENT_SQL = "INSERT INTO events_outbox (app, type, envelope) VALUES ($1, $2, $3::jsonb)"


@lru_cache(maxsize=1024)
def _iso(when: datetime) -> str:
    # Cached: the ledger's batches stamp many events with the same instant.
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_envelope(
    app: str, event_type: str, payload: dict[str, Any], *, ledger: str | None = None,
    date: datetime | None = None,
) -> dict[str, Any]:
    """The Formance event envelope (stack/events/generated/all.json)."""
    envelope: dict[str, Any] = {
        "date": _iso(date or datetime.now(UTC)),
        "app": app,
        "version": EVENTS_VERSION,
        "type": event_type,
        "payload": payload,
    }
    if ledger is not None:
        envelope["ledger"] = ledger
    return envelope
