"""Infrastructure failures the API answers with 503: the request did not fail on its merits and
may be retried. Deliberately not DomainErrors: activities turn a DomainError into a business
failure that is never retried, and these are the opposite."""

from __future__ import annotations


class ServiceUnavailableError(Exception):
    # INTERNAL is the one code in every Formance module's error enum; the 503 says "retry".
    code = "INTERNAL"
    default_message = "service unavailable, retry"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class DatabaseUnavailableError(ServiceUnavailableError):
    """PostgreSQL could not be reached (or did not answer in time) and nothing was written."""

    default_message = "database unavailable, retry"


class WriteOutcomeUnknownError(ServiceUnavailableError):
    """The connection failed while a write was committing and the writer could not find out,
    within its time bound, whether the commit happened."""

    default_message = ("database unavailable while the write was committing: its outcome is "
                       "unknown; retry with the same Idempotency-Key (a write sent without one "
                       "may already be in the ledger: check before sending it again)")
