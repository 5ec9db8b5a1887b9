"""Wallets business errors with the Formance wallets error codes (one ErrorCode enum; the
insufficient-funds error is the ledger's own, re-exported). Unknown wallets and holds are
404 NOT_FOUND; everything else a client can fix is a 400 (api/errors.py maps the codes)."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError
from domain.ledger.errors import InsufficientFundError


class ErrorCode(StrEnum):
    """Every code the wallets module answers with. Activities, workflows and the API compare
    against these members, never against string literals."""

    VALIDATION = ValidationError.code
    NOT_FOUND = NotFoundError.code
    CONFLICT = ConflictError.code
    INSUFFICIENT_FUND = InsufficientFundError.code
    HOLD_CLOSED = "HOLD_CLOSED"
    INTERNAL = DomainError.code


class WalletNotFoundError(NotFoundError):
    def __init__(self, wallet_id: str) -> None:
        super().__init__(f"wallet {wallet_id!r} not found")


class BalanceNotFoundError(NotFoundError):
    def __init__(self, wallet_id: str, name: str) -> None:
        super().__init__(f"balance {name!r} not found in wallet {wallet_id!r}")


class HoldNotFoundError(NotFoundError):
    def __init__(self, hold_id: str) -> None:
        super().__init__(f"hold {hold_id!r} not found")


class HoldClosedError(DomainError):
    code = ErrorCode.HOLD_CLOSED

    def __init__(self, hold_id: str) -> None:
        super().__init__(f"hold {hold_id!r} is closed: nothing remains to confirm or void")


class BalanceAlreadyExistsError(ValidationError):
    def __init__(self, wallet_id: str, name: str) -> None:
        super().__init__(f"balance {name!r} already exists in wallet {wallet_id!r}")


class IdempotencyConflictError(ConflictError):
    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used with a different request")


__all__ = [
    "BalanceAlreadyExistsError",
    "BalanceNotFoundError",
    "ErrorCode",
    "HoldClosedError",
    "HoldNotFoundError",
    "IdempotencyConflictError",
    "InsufficientFundError",
    "ValidationError",
    "WalletNotFoundError",
]
