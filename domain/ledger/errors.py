"""Ledger business errors, each with its Formance v2 error code (api/errors.py maps codes to
HTTP statuses: LEDGER_NOT_FOUND/NOT_FOUND 404, CONFLICT 409, BULK_SIZE_EXCEEDED 413, else 400)."""

from __future__ import annotations

from typing import Any

from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError


class LedgerNotFoundError(DomainError):
    code = "LEDGER_NOT_FOUND"

    def __init__(self, name: str) -> None:
        super().__init__(f"ledger {name!r} not found")


class LedgerAlreadyExistsError(DomainError):
    code = "LEDGER_ALREADY_EXISTS"

    def __init__(self, name: str) -> None:
        super().__init__(f"ledger {name!r} already exists")


class InsufficientFundError(DomainError):
    """The one insufficient-funds rule and its one message, whichever write path finds it
    (Python over locked rows, or the SQL guard of storage/ledger/writes.py `funds_guard`)."""

    code = "INSUFFICIENT_FUND"

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
    code = "NO_POSTINGS"


class MetadataOverrideError(DomainError):
    code = "METADATA_OVERRIDE"


class AlreadyRevertedError(DomainError):
    code = "ALREADY_REVERT"

    def __init__(self, transaction_id: int) -> None:
        super().__init__(f"transaction {transaction_id} already reverted")


class BulkSizeExceededError(DomainError):
    code = "BULK_SIZE_EXCEEDED"


class TransactionNotFoundError(NotFoundError):
    def __init__(self, transaction_id: int) -> None:
        super().__init__(f"transaction {transaction_id} not found")


class AccountNotFoundError(NotFoundError):
    def __init__(self, address: str) -> None:
        super().__init__(f"account {address!r} not found")


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


# --- issue 5: buckets, schemas, import, exporters and pipelines ---------------------------------


class BucketNotFoundError(NotFoundError):
    def __init__(self, bucket: str) -> None:
        super().__init__(f"bucket {bucket!r} has no ledger")


class SchemaAlreadyExistsError(DomainError):
    code = "SCHEMA_ALREADY_EXISTS"

    def __init__(self, version: str) -> None:
        super().__init__(f"schema version {version!r} already exists")


class SchemaNotSpecifiedError(DomainError):
    code = "SCHEMA_NOT_SPECIFIED"

    def __init__(self, ledger: str) -> None:
        super().__init__(f"ledger {ledger!r} has schemas: writes must name the version they "
                         "follow (?schemaVersion=)")


class SchemaNotFoundError(NotFoundError):
    def __init__(self, version: str) -> None:
        super().__init__(f"schema version {version!r} not found")


class ImportLogsError(DomainError):
    """A log stream that does not continue the ledger exactly (ids, hash chain, content)."""

    code = "IMPORT"


class ExporterNotFoundError(NotFoundError):
    def __init__(self, exporter_id: str) -> None:
        super().__init__(f"exporter {exporter_id!r} not found")


class PipelineNotFoundError(NotFoundError):
    def __init__(self, pipeline_id: str) -> None:
        super().__init__(f"pipeline {pipeline_id!r} not found")
