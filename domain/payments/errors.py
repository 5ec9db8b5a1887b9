"""Payments business errors with the Formance v3 error codes (V3ErrorsEnum). Unknown objects
are 404 NOT_FOUND, ids that do not decode are 400 INVALID_ID, everything else a client can fix
is a 400 (api/errors.py maps the codes)."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError


class ErrorCode(StrEnum):
    """Every code the payments v3 API answers with (the spec's V3ErrorsEnum)."""

    INTERNAL = DomainError.code
    VALIDATION = ValidationError.code
    INVALID_ID = "INVALID_ID"
    MISSING_OR_INVALID_BODY = "MISSING_OR_INVALID_BODY"
    CONFLICT = ConflictError.code
    NOT_FOUND = NotFoundError.code


class InvalidIDError(DomainError):
    code = ErrorCode.INVALID_ID

    def __init__(self, kind: str, value: str) -> None:
        super().__init__(f"invalid {kind} id {value!r}")


class InvalidBodyError(DomainError):
    code = ErrorCode.MISSING_OR_INVALID_BODY


class ConnectorNotFoundError(NotFoundError):
    def __init__(self, connector_id: str) -> None:
        super().__init__(f"connector {connector_id!r} not found")


class ProviderNotFoundError(ValidationError):
    def __init__(self, provider: str) -> None:
        super().__init__(f"unknown connector provider {provider!r}")


class InvalidConfigError(ValidationError):
    """A connector config refused; the message names the field."""


class AccountNotFoundError(NotFoundError):
    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id!r} not found")


class PaymentNotFoundError(NotFoundError):
    def __init__(self, payment_id: str) -> None:
        super().__init__(f"payment {payment_id!r} not found")


class TaskNotFoundError(NotFoundError):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"task {task_id!r} not found")


class ConnectorScheduledForDeletionError(ValidationError):
    def __init__(self, connector_id: str) -> None:
        super().__init__(f"connector {connector_id!r} is scheduled for deletion")


class ScheduleNotFoundError(NotFoundError):
    def __init__(self, schedule_id: str) -> None:
        super().__init__(f"schedule {schedule_id!r} not found")


class PoolNotFoundError(NotFoundError):
    def __init__(self, pool_id: str) -> None:
        super().__init__(f"pool {pool_id!r} not found")


class UnknownAccountsError(ValidationError):
    def __init__(self, account_ids: list[str]) -> None:
        super().__init__(f"unknown accounts: {', '.join(account_ids)}")


class BankAccountNotFoundError(NotFoundError):
    def __init__(self, bank_account_id: str) -> None:
        super().__init__(f"bank account {bank_account_id!r} not found")


class PaymentInitiationNotFoundError(NotFoundError):
    def __init__(self, initiation_id: str) -> None:
        super().__init__(f"payment initiation {initiation_id!r} not found")


class PaymentServiceUserNotFoundError(NotFoundError):
    def __init__(self, psu_id: str) -> None:
        super().__init__(f"payment service user {psu_id!r} not found")


class LinkAttemptNotFoundError(NotFoundError):
    def __init__(self, attempt_id: str) -> None:
        super().__init__(f"link attempt {attempt_id!r} not found")


class ConnectionNotFoundError(NotFoundError):
    def __init__(self, connection_id: str) -> None:
        super().__init__(f"connection {connection_id!r} not found")


class OrderNotFoundError(NotFoundError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id!r} not found")


class ConversionNotFoundError(NotFoundError):
    def __init__(self, conversion_id: str) -> None:
        super().__init__(f"conversion {conversion_id!r} not found")
