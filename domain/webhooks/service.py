"""Webhook config use-cases. Deliveries and attempts are written by the dispatcher and the retry
activities; the API only reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from domain.errors import NotFoundError, ValidationError
from domain.webhooks.errors import ConfigNotFoundError
from domain.webhooks.models import ConfigInput, WebhookConfig
from domain.webhooks.ports import RetryCanceller, WebhookStore
from domain.webhooks.secrets import checked_secret


def parse_id(value: str, what: str = "config") -> UUID:
    """An unknown id and a malformed one are the same thing to a caller: not found."""
    try:
        return UUID(value)
    except ValueError as exc:
        raise NotFoundError(f"{what} {value!r} not found") from exc


def checked_endpoint(endpoint: str) -> str:
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"endpoint: {endpoint!r} is not an http(s) URL")
    return endpoint.strip()


def checked_event_types(event_types: list[str]) -> list[str]:
    cleaned: list[str] = []
    for event_type in event_types:
        value = event_type.strip().lower()
        if not value:
            raise ValidationError("eventTypes: empty event type")
        if value not in cleaned:
            cleaned.append(value)
    if not cleaned:
        raise ValidationError("eventTypes: at least one event type is required")
    return cleaned


class WebhookConfigs:
    def __init__(self, store: WebhookStore, canceller: RetryCanceller) -> None:
        self.store = store
        self.canceller = canceller

    async def create(self, data: ConfigInput) -> WebhookConfig:
        now = datetime.now(UTC)
        config = WebhookConfig(
            id=uuid4(), endpoint=checked_endpoint(data.endpoint),
            secret=checked_secret(data.secret), event_types=checked_event_types(data.event_types),
            active=True, name=data.name, created_at=now, updated_at=now,
        )
        await self.store.insert_config(config)
        return config

    async def get(self, config_id: str) -> WebhookConfig:
        config = await self.store.get_config(parse_id(config_id))
        if config is None:
            raise ConfigNotFoundError(config_id)
        return config

    async def list(self, *, config_id: str | None, endpoint: str | None) -> list[WebhookConfig]:
        wanted: UUID | None = None
        if config_id:
            try:
                wanted = UUID(config_id)
            except ValueError:
                return []  # a filter on an impossible id matches nothing
        return await self.store.list_configs(config_id=wanted, endpoint=endpoint or None)

    async def update(self, config_id: str, data: ConfigInput) -> WebhookConfig:
        current = await self.get(config_id)
        updated = current.model_copy(update={
            "endpoint": checked_endpoint(data.endpoint),
            "event_types": checked_event_types(data.event_types),
            "secret": checked_secret(data.secret) if data.secret else current.secret,
            "name": data.name if data.name is not None else current.name,
            "updated_at": datetime.now(UTC),
        })
        if not await self.store.update_config(updated):
            raise ConfigNotFoundError(config_id)
        return updated

    async def change_secret(self, config_id: str, secret: str | None) -> WebhookConfig:
        current = await self.get(config_id)
        updated = current.model_copy(
            update={"secret": checked_secret(secret), "updated_at": datetime.now(UTC)}
        )
        if not await self.store.update_config(updated):
            raise ConfigNotFoundError(config_id)
        return updated

    async def activate(self, config_id: str) -> WebhookConfig:
        current = await self.get(config_id)
        if current.active:
            return current
        updated = current.model_copy(update={"active": True, "updated_at": datetime.now(UTC)})
        if not await self.store.update_config(updated):
            raise ConfigNotFoundError(config_id)
        return updated

    async def deactivate(self, config_id: str) -> WebhookConfig:
        config, workflow_ids = await self.store.deactivate_config(
            parse_id(config_id), datetime.now(UTC)
        )
        if config is None:
            raise ConfigNotFoundError(config_id)
        await self.canceller.cancel(workflow_ids)
        return config

    async def delete(self, config_id: str) -> None:
        found, workflow_ids = await self.store.delete_config(parse_id(config_id), datetime.now(UTC))
        if not found:
            raise ConfigNotFoundError(config_id)
        await self.canceller.cancel(workflow_ids)
