"""Ledger business errors. Every code the ledger answers with is a member of `ErrorCode` (the
Formance v2 `V2ErrorsEnum`) or, on the v1 API, of `V1ErrorCode` (`ErrorsEnum`); activities,
workflows and the API compare against these members, never against string literals. api/errors.py
maps codes to HTTP statuses: LEDGER_NOT_FOUND/NOT_FOUND 404, CONFLICT 409, BULK_SIZE_EXCEEDED 413,
else 400.

Sections follow the ledger's seams: ledgers and buckets, transactions (writes), reads, schemas,
log import, exporters and pipelines, and last the storage signals that are not business errors."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError


class ErrorCode(StrEnum):
    """Formance's V2ErrorsEnum, in its order, plus SERVICE_UNAVAILABLE (Ledgerflow's 503 when
    PostgreSQL or Temporal does not answer). The Numscript package raises COMPILATION_FAILED,
    INSUFFICIENT_FUND and INTERNAL as plain strings, because domain.ledger imports it and it
    cannot import this back; tests/unit/ledger/test_error_codes.py holds them to this enum."""

    INTERNAL = DomainError.code
    INSUFFICIENT_FUND = "INSUFFICIENT_FUND"
    VALIDATION = ValidationError.code
    CONFLICT = ConflictError.code
    COMPILATION_FAILED = "COMPILATION_FAILED"
    METADATA_OVERRIDE = "METADATA_OVERRIDE"
    NOT_FOUND = NotFoundError.code
    REVERT_OCCURRING = "REVERT_OCCURRING"
    ALREADY_REVERT = "ALREADY_REVERT"
    NO_POSTINGS = "NO_POSTINGS"
    LEDGER_NOT_FOUND = "LEDGER_NOT_FOUND"
    IMPORT = "IMPORT"
    TIMEOUT = "TIMEOUT"
    BULK_SIZE_EXCEEDED = "BULK_SIZE_EXCEEDED"
    INTERPRETER_PARSE = "INTERPRETER_PARSE"
    INTERPRETER_RUNTIME = "INTERPRETER_RUNTIME"
    LEDGER_ALREADY_EXISTS = "LEDGER_ALREADY_EXISTS"
    SCHEMA_ALREADY_EXISTS = "SCHEMA_ALREADY_EXISTS"
    SCHEMA_NOT_SPECIFIED = "SCHEMA_NOT_SPECIFIED"
    OUTDATED_SCHEMA = "OUTDATED_SCHEMA"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class V1ErrorCode(StrEnum):
    """The v1 API's ErrorsEnum: an SDK parses errorCode as this enum, so the v1 routes answer
    only with these (api/ledger/v1.py `v1_code` maps the v2 codes onto them)."""

    INTERNAL = ErrorCode.INTERNAL.value
    INSUFFICIENT_FUND = ErrorCode.INSUFFICIENT_FUND.value
    VALIDATION = ErrorCode.VALIDATION.value
    CONFLICT = ErrorCode.CONFLICT.value
    NO_SCRIPT = "NO_SCRIPT"
    COMPILATION_FAILED = ErrorCode.COMPILATION_FAILED.value
    METADATA_OVERRIDE = ErrorCode.METADATA_OVERRIDE.value
    NOT_FOUND = ErrorCode.NOT_FOUND.value
    TIMEOUT = ErrorCode.TIMEOUT.value


# --- ledgers and buckets -------------------------------------------------------------------------


class LedgerNotFoundError(DomainError):
    code = ErrorCode.LEDGER_NOT_FOUND

    def __init__(self, name: str) -> None:
        super().__init__(f"ledger {name!r} not found")


class LedgerAlreadyExistsError(DomainError):
    code = ErrorCode.LEDGER_ALREADY_EXISTS

    def __init__(self, name: str) -> None:
        super().__init__(f"ledger {name!r} already exists")


class BucketNotFoundError(NotFoundError):
    def __init__(self, bucket: str) -> None:
        super().__init__(f"bucket {bucket!r} has no ledger")


# --- transactions: create, revert, metadata, bulk ------------------------------------------------


class InsufficientFundError(DomainError):
    """The one insufficient-funds rule and its one message, whichever write path finds it
    (Python over locked rows, or the SQL guard of storage/ledger/writes.py `funds_guard`)."""

    code = ErrorCode.INSUFFICIENT_FUND

    @classmethod
    def check(cls, address: str, asset: str, balance: int, required: int | None
              ) -> InsufficientFundError | None:
        """`required` is the balance the source must hold before the transaction's moves
        (None: unbounded, or no check)."""
        if required is None or balance >= required:
            return None
        return cls(f"insufficient funds: account {address} has a balance of {balance} {asset}, "
                   f"the transaction needs {required}")


class NoPostingsError(DomainError):
    code = ErrorCode.NO_POSTINGS


class MetadataOverrideError(DomainError):
    code = ErrorCode.METADATA_OVERRIDE


class AlreadyRevertedError(DomainError):
    code = ErrorCode.ALREADY_REVERT

    def __init__(self, transaction_id: int) -> None:
        super().__init__(f"transaction {transaction_id} already reverted")


class ReferenceConflictError(ConflictError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"a transaction with reference {reference!r} already exists")


class IdempotencyKeyConflictError(ValidationError):
    """The key was already used with another input (Formance answers 400 VALIDATION)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used with a different input"
        )


class WriteContentionError(ConflictError):
    """Deadlock or serialization failure that persisted through every retry."""

    def __init__(self) -> None:
        super().__init__("too much contention on the same accounts, retry the request")


class BulkSizeExceededError(DomainError):
    code = ErrorCode.BULK_SIZE_EXCEEDED


# --- reads ---------------------------------------------------------------------------------------


class TransactionNotFoundError(NotFoundError):
    def __init__(self, transaction_id: int) -> None:
        super().__init__(f"transaction {transaction_id} not found")


class AccountNotFoundError(NotFoundError):
    def __init__(self, address: str) -> None:
        super().__init__(f"account {address!r} not found")


# --- schemas -------------------------------------------------------------------------------------


class SchemaAlreadyExistsError(DomainError):
    code = ErrorCode.SCHEMA_ALREADY_EXISTS

    def __init__(self, version: str) -> None:
        super().__init__(f"schema version {version!r} already exists")


class SchemaNotSpecifiedError(DomainError):
    code = ErrorCode.SCHEMA_NOT_SPECIFIED

    def __init__(self, ledger: str) -> None:
        super().__init__(f"ledger {ledger!r} has schemas: writes must name the version they "
                         "follow (?schemaVersion=)")


class SchemaNotFoundError(NotFoundError):
    def __init__(self, version: str) -> None:
        super().__init__(f"schema version {version!r} not found")


# --- log import ----------------------------------------------------------------------------------


class ImportLogsError(DomainError):
    """A log stream that does not continue the ledger exactly (ids, hash chain, content)."""

    code = ErrorCode.IMPORT


# --- exporters and pipelines ---------------------------------------------------------------------


class ExporterNotFoundError(NotFoundError):
    def __init__(self, exporter_id: str) -> None:
        super().__init__(f"exporter {exporter_id!r} not found")


class PipelineNotFoundError(NotFoundError):
    def __init__(self, pipeline_id: str) -> None:
        super().__init__(f"pipeline {pipeline_id!r} not found")


# --- storage signals: not business errors, the service retries or answers from the log -----------


class TransientWriteError(Exception):
    """Raised by storage for a deadlock or serialization failure, or a write that is known not
    to have committed: the service retries the whole unit of work (a Numscript run included) a
    bounded number of times."""


class CommitRecoveredError(Exception):
    """Raised by storage when the connection failed around a COMMIT that, read back, did
    commit: `logs` are what the unit of work wrote. The service answers from them (the write
    must not run again)."""

    def __init__(self, logs: list[Any]) -> None:
        super().__init__("the write committed before the connection failed")
        self.logs = logs
