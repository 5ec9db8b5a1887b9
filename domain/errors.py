"""The base of every business error. Each carries its Formance error code; the API maps codes to
HTTP statuses in one place (api/errors.py), so the domain never speaks HTTP."""

from __future__ import annotations


class DomainError(Exception):
    code: str = "INTERNAL"

    def __init__(self, message: str, *, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    code = "VALIDATION"


class NotFoundError(DomainError):
    code = "NOT_FOUND"


class ConflictError(DomainError):
    code = "CONFLICT"
