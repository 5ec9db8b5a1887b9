"""The v1 error enum (PaymentsErrorsEnum): INTERNAL, VALIDATION, NOT_FOUND. The v3 core answers
with more codes (INVALID_ID, MISSING_OR_INVALID_BODY, CONFLICT, ...); a v1 client knows only
these three, so each answer is told in them and keeps its HTTP status."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import DomainError, NotFoundError, ValidationError


class ErrorCode(StrEnum):
    INTERNAL = DomainError.code
    VALIDATION = ValidationError.code
    NOT_FOUND = NotFoundError.code


def v1_code(code: str, status: int) -> ErrorCode:
    """The v1 code of an answer with `code` and HTTP `status`."""
    if status >= 500:
        return ErrorCode.INTERNAL  # 503s included: the status says "retry"
    if status == 404:
        return ErrorCode.NOT_FOUND
    try:
        return ErrorCode(code)
    except ValueError:
        # A bad id, a bad body, a conflict: something the client sent is wrong.
        return ErrorCode.VALIDATION
