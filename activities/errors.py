"""The one conversion of a domain error into the error Temporal carries, for activities and
workflows alike (a workflow raises it to refuse an update).

The error type is the module's Formance code (a member of its ErrorCode enum), so a workflow and
then the API answer with it unchanged. One retry rule: a business refusal is final (retrying
cannot change it); only an INTERNAL error, whose cause is not the caller's input, is retried."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from domain.errors import DomainError

RETRYABLE_CODES = frozenset({DomainError.code})


def to_application_error(exc: DomainError) -> ApplicationError:
    return ApplicationError(exc.message, type=str(exc.code),
                            non_retryable=exc.code not in RETRYABLE_CODES)
