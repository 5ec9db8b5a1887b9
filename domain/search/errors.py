"""Search business errors. Formance search answers every refusal a client can fix with a 400;
the codes are the shared ones (api/errors.py maps them)."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import DomainError, ValidationError


class ErrorCode(StrEnum):
    """Every code the search API answers with."""

    INTERNAL = DomainError.code
    VALIDATION = ValidationError.code


class InvalidQueryError(ValidationError):
    """A query a client must fix: unknown target, bad term, sort, page size or policy."""


class InvalidCursorError(ValidationError):
    def __init__(self) -> None:
        super().__init__("invalid cursor: pass back a `next` or `previous` token unchanged")


class RawQueryNotSupportedError(ValidationError):
    def __init__(self) -> None:
        super().__init__(
            "`raw` is not supported: this stack searches PostgreSQL, there is no Elasticsearch "
            "to pass a raw query to; use `terms` (key=value, key>v, key<v, key>=v, key<=v, "
            "free text) with `policy`, `sort` and `ledgers`")
