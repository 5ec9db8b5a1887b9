"""What the ledger use-cases need from storage: first what a write hands over (drafts of logs,
events and transactions) and the unit of work it runs in (`LedgerWriter`), then `LedgerStore`,
one protocol per seam of domain/ledger/service/ (ledgers, writes, reads, schemas, logs)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.ledger.models import (
    Account,
    Ledger,
    Log,
    Metadata,
    Posting,
    Stats,
    TargetType,
    Transaction,
    VolumeRow,
)
from domain.ledger.postings import PostingsPlan
from domain.ledger.query import ListQuery, Page
from domain.ledger.schemas import LedgerSchema

# --- what a write hands over, and its unit of work -----------------------------------------------


@dataclass(slots=True)
class LogDraft:
    """A log to append. For transaction logs `data` holds the pending id (hashing.PENDING_ID)
    at `pending_paths`; the storage writes the assigned id there."""

    type: str
    data: dict[str, Any]
    date: datetime
    idempotency_key: str | None
    idempotency_hash: str | None
    pending_paths: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class EventDraft:
    """A Formance event payload for the outbox (same pending-id convention as LogDraft)."""

    type: str
    payload: dict[str, Any]
    pending_paths: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class NewTransaction:
    postings: list[Posting]
    plan: PostingsPlan
    metadata: Metadata
    account_metadata: dict[str, Metadata]
    timestamp: datetime
    inserted_at: datetime
    reference: str | None
    log: LogDraft
    event: EventDraft
    reverts: int | None = None  # the id of the transaction this one reverts
    template: str | None = None  # the schema transaction template its script came from


@dataclass(slots=True)
class TransactionSpec:
    """A new transaction before its dates: what the set-based write path is given. A
    transaction without a client timestamp is dated when its batch is evaluated (`dated`), so
    that dates follow the order transactions are written in; back-dating then only ever comes
    from a client's timestamp (its own, or a future one already written)."""

    ledger: str
    postings: list[Posting]
    plan: PostingsPlan
    metadata: Metadata
    account_metadata: dict[str, Metadata]
    reference: str | None
    template: str | None
    timestamp: datetime | None  # the client's; None: the time of writing
    requested_at: datetime  # the service's clock when it handled the request
    idempotency_key: str | None
    idempotency_hash: str | None
    _dated: NewTransaction | None = field(default=None, repr=False, compare=False)

    def dated(self, now: datetime) -> NewTransaction:
        """The transaction's documents as of `now`. The ones as of `requested_at`, which nearly
        every batch asks for, are built once (storage asks for them first, in the request's
        own coroutine, outside the writer's serial section) and kept."""
        cached = self._dated
        if cached is not None and cached.inserted_at == now:
            return cached
        built = self._build(now)
        if now == self.requested_at:
            self._dated = built
        return built

    def _build(self, now: datetime) -> NewTransaction:
        from domain.ledger.hashing import PENDING_ID
        from domain.ledger.models import LogType
        from domain.ledger.records import event_transaction, new_transaction_log, transaction_json

        timestamp = self.timestamp or now
        draft = Transaction(id=PENDING_ID, postings=self.postings, metadata=self.metadata,
                            timestamp=timestamp, inserted_at=now, updated_at=now,
                            reference=self.reference, template=self.template)
        doc = transaction_json(draft, pending_id=True)
        return NewTransaction(
            postings=self.postings, plan=self.plan, metadata=self.metadata,
            account_metadata=self.account_metadata, timestamp=timestamp, inserted_at=now,
            reference=self.reference, template=self.template,
            log=LogDraft(LogType.NEW_TRANSACTION,
                         new_transaction_log(doc, self.account_metadata), now,
                         self.idempotency_key, self.idempotency_hash, [["transaction", "id"]]),
            event=EventDraft("COMMITTED_TRANSACTIONS",
                             {"ledger": self.ledger, "transactions": [event_transaction(doc)],
                              "accountMetadata": self.account_metadata},
                             [["transactions", "0", "id"]]),
        )


@dataclass(slots=True)
class SubmitOutcome:
    """What became of one transaction given to `LedgerStore.submit_transactions`: written
    (`transaction`, `log_id`), refused (`error`), already written under its idempotency key
    (`existing_log`), or `deferred`: the caller must run it through a LedgerWriter."""

    transaction: Transaction | None = None
    log_id: int | None = None
    error: Exception | None = None
    existing_log: Log | None = None
    deferred: bool = False


class LedgerWriter(Protocol):
    """One unit of work on one ledger: everything it writes commits together (or rolls back for
    dryRun). Reads that lock (balances, transaction) pin it to one database transaction."""

    async def find_log_by_idempotency_key(self, key: str) -> Log | None: ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested unit (atomic bulk element): its failure undoes only its own writes."""
        ...

    def rollback_only(self) -> None:
        """Roll the whole unit back at the end instead of committing."""
        ...

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]: ...

    async def get_accounts_metadata(
        self, query: dict[str, set[str]]
    ) -> dict[str, dict[str, str]]: ...

    async def lock_transaction(self, transaction_id: int) -> Transaction | None: ...

    async def insert_transaction(self, tx: NewTransaction) -> tuple[Transaction, int]:
        """Returns the transaction with its id and volumes, and the log id."""
        ...

    async def save_metadata(self, target_type: TargetType, target_id: str | int,
                            metadata: Metadata, log: LogDraft, event: EventDraft) -> int | None:
        """The log id, or None when the target transaction does not exist."""
        ...

    async def delete_metadata(self, target_type: TargetType, target_id: str | int, key: str,
                              log: LogDraft, event: EventDraft) -> int | None:
        """The log id, or None when the target (or, for a transaction, the key) is missing."""
        ...


# --- the store, per seam -------------------------------------------------------------------------


class LedgersStore(Protocol):
    """Ledgers and buckets, and the v1 API's stored mapping of a ledger."""

    async def ledger_exists(self, name: str) -> bool: ...

    async def create_ledger(self, ledger: Ledger) -> None: ...

    async def get_ledger(self, name: str) -> Ledger | None: ...

    async def list_ledgers(self, query: ListQuery) -> Page[Ledger]: ...

    async def update_ledger_metadata(self, name: str, metadata: Metadata) -> None: ...

    async def delete_ledger_metadata(self, name: str, key: str) -> None: ...

    async def stats(self, ledger: str) -> Stats: ...

    async def set_bucket_deleted(self, bucket: str, deleted_at: datetime | None) -> int:
        """Soft-deletes (or restores, with None) every ledger of the bucket; how many exist."""
        ...

    async def get_v1_mapping(self, ledger: str) -> dict[str, Any] | None: ...

    async def save_v1_mapping(self, ledger: str, mapping: dict[str, Any]) -> None: ...


class WritesStore(Protocol):
    """The two write paths: the set-based one for new transactions that need no read, and a
    unit of work (`LedgerWriter`) for everything else."""

    def write_stats(self) -> dict[str, dict[str, int]]:
        """Per ledger, how this process's write batches went (for the metrics endpoint)."""
        ...

    def write_sizes(self) -> dict[int, int]:
        """This process's write batches by number of transactions (for the metrics endpoint)."""
        ...

    async def submit_transactions(self, ledger: str, items: list[TransactionSpec], *,
                                  stop_on_failure: bool) -> list[SubmitOutcome]:
        """Writes new transactions that need no read of the ledger beforehand, in order, with
        the other transactions arriving meanwhile (one database transaction for all of them).
        Returns once the outcome of each is durable. Raises TransientWriteError when the batch
        could not commit (nothing was written)."""
        ...

    def writer(self, ledger: str, *, dry_run: bool = False, atomic: bool = False
               ) -> AbstractAsyncContextManager[LedgerWriter]:
        """A unit of work. `atomic` pins it to one database transaction from the start."""
        ...


class ReadsStore(Protocol):
    """Transactions, accounts, balances, volumes and logs, as keyset pages of a `ListQuery`."""

    async def get_transaction(self, ledger: str, transaction_id: int,
                              expand: tuple[str, ...] = (), pit: datetime | None = None
                              ) -> Transaction | None: ...

    async def list_transactions(self, ledger: str, query: ListQuery) -> Page[Transaction]: ...

    async def count_transactions(self, ledger: str, query: ListQuery) -> int: ...

    async def get_account(self, ledger: str, address: str, expand: tuple[str, ...] = (),
                          pit: datetime | None = None) -> Account | None: ...

    async def list_accounts(self, ledger: str, query: ListQuery) -> Page[Account]: ...

    async def count_accounts(self, ledger: str, query: ListQuery) -> int: ...

    async def aggregate_balances(self, ledger: str, query: ListQuery) -> dict[str, int]: ...

    async def list_volumes(self, ledger: str, query: ListQuery) -> Page[VolumeRow]: ...

    async def list_logs(self, ledger: str, query: ListQuery) -> Page[Log]: ...


class SchemasStore(Protocol):
    """Schema versions; inserting one appends its log to the hash chain."""

    async def has_schemas(self, ledger: str) -> bool: ...

    async def get_schema(self, ledger: str, version: str) -> LedgerSchema | None: ...

    async def list_schemas(self, ledger: str, offset: int, limit: int, descending: bool
                           ) -> list[LedgerSchema]: ...

    async def insert_schema(self, ledger: str, schema: LedgerSchema, log: LogDraft) -> int:
        """Appends the INSERTED_SCHEMA log (hash chain) with the schema; the log id."""
        ...


class LogsStore(Protocol):
    """The log stream in id order, for export, and a whole import in one transaction."""

    async def log_head(self, ledger: str) -> tuple[int, bytes | None]:
        """The last log id and hash of the ledger (0, None when it has no log)."""
        ...

    async def read_logs(self, ledger: str, after_id: int, limit: int) -> list[Log]: ...

    def importer(self, ledger: str) -> AbstractAsyncContextManager[LogImporter]:
        """One database transaction for a whole import: nothing is half-imported."""
        ...


class LedgerStore(LedgersStore, WritesStore, ReadsStore, SchemasStore, LogsStore, Protocol):
    """Everything the ledger use-cases (domain/ledger/service/) need from storage, one protocol
    per seam."""


class LogImporter(LedgerWriter, Protocol):
    """The writer of an import, which may also replay INSERTED_SCHEMA logs."""

    async def insert_schema(self, schema: LedgerSchema, log: LogDraft) -> int: ...

