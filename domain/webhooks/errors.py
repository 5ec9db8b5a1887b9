"""Webhooks business errors, with every code the module answers with in one ErrorCode enum."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError


class ErrorCode(StrEnum):
    VALIDATION = ValidationError.code
    NOT_FOUND = NotFoundError.code
    CONFLICT = ConflictError.code
    INTERNAL = DomainError.code


class ConfigNotFoundError(NotFoundError):
    def __init__(self, config_id: UUID | str) -> None:
        super().__init__(f"config {str(config_id)!r} not found")


class DeliveryNotFoundError(NotFoundError):
    def __init__(self, delivery_id: UUID | str) -> None:
        super().__init__(f"delivery {str(delivery_id)!r} not found")
