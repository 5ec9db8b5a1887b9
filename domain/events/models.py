"""An event read back from the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """One outbox row. `id` is the outbox identity: unique, so consumers use it as the event id."""

    model_config = ConfigDict(frozen=True)

    id: int
    app: str
    type: str
    envelope: dict[str, Any]
    created_at: datetime

    @property
    def qualified_type(self) -> str:
        """`<app>.<type>` in lower case: the string webhook configs subscribe to."""
        return f"{self.app}.{self.type}".lower()

    @property
    def idempotency_key(self) -> str | None:
        key = self.envelope.get("idempotency_key") or self.envelope.get("idempotencyKey")
        return str(key) if key else None
