"""The consumer interface of the events dispatcher (webhooks now; triggers and search later).

The dispatcher hands each batch to `handle` together with the open database transaction in which
it will advance the consumer's offset. Writes a consumer makes through that transaction commit
atomically with the offset, so a crash can neither lose a batch nor apply it twice. A consumer
that writes elsewhere (a search index) must make those writes idempotent by event id instead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from domain.events.models import Event

TransactionT_contra = TypeVar("TransactionT_contra", contravariant=True)


class EventConsumer(Protocol[TransactionT_contra]):
    @property
    def name(self) -> str:
        """Stable name: the key of this consumer's offset. Renaming it replays every event."""
        ...

    async def handle(self, events: Sequence[Event], transaction: TransactionT_contra) -> None: ...
