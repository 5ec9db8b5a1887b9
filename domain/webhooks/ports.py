"""What the webhooks use-cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.webhooks.models import Attempt, Delivery, DeliveryFilter, WebhookConfig


class WebhookStore(Protocol):
    async def insert_config(self, config: WebhookConfig) -> None: ...

    async def get_config(self, config_id: UUID) -> WebhookConfig | None: ...

    async def list_configs(
        self, *, config_id: UUID | None, endpoint: str | None
    ) -> list[WebhookConfig]: ...

    async def update_config(self, config: WebhookConfig) -> bool:
        """Replace the stored config; False when it does not exist."""
        ...

    async def deactivate_config(
        self, config_id: UUID, now: datetime
    ) -> tuple[WebhookConfig | None, list[str]]:
        """Set inactive and cancel its unfinished deliveries in one transaction. Returns the
        config (None if absent) and the IDs of the retry workflows of the cancelled deliveries."""
        ...

    async def delete_config(self, config_id: UUID, now: datetime) -> tuple[bool, list[str]]:
        """Delete and cancel its unfinished deliveries in one transaction (see above)."""
        ...

    async def get_delivery(self, delivery_id: UUID) -> Delivery | None: ...

    async def list_deliveries(
        self, filters: DeliveryFilter, *, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[Delivery]:
        """Newest first; `after` is the (created_at, id) of the last row of the previous page."""
        ...

    async def list_attempts(
        self, delivery_id: UUID, *, after: tuple[int, int] | None, limit: int
    ) -> list[Attempt]:
        """Oldest first (by replay generation, then attempt number); `after` is the (generation,
        number) of the last row of the previous page."""
        ...


class RetryCanceller(Protocol):
    async def cancel(self, workflow_ids: Sequence[str]) -> None:
        """Cancel these retry workflows; ones already finished or unknown are ignored."""
        ...
