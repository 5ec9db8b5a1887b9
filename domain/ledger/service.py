"""Ledger use-cases. Each write is one unit of work on a `LedgerWriter` (one database
transaction, or a single autocommit statement on the fast path), retried a bounded number of
times when the database reports a deadlock or a serialization failure."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from domain.errors import DomainError, ValidationError
from domain.ledger.errors import (
    AlreadyRevertedError,
    IdempotencyKeyConflictError,
    LedgerAlreadyExistsError,
    LedgerNotFoundError,
    MetadataOverrideError,
    NoPostingsError,
    TransactionNotFoundError,
    TransientWriteError,
    WriteContentionError,
)
from domain.ledger.hashing import PENDING_ID
from domain.ledger.models import (
    REVERT_METADATA_KEY,
    Account,
    Command,
    CreateTransaction,
    DeleteMetadata,
    Ledger,
    Log,
    LogType,
    Metadata,
    Posting,
    RevertTransaction,
    SaveMetadata,
    Stats,
    TargetType,
    Transaction,
    VolumeRow,
    WriteOptions,
    WriteResult,
)
from domain.ledger.ports import EventDraft, LedgerStore, LedgerWriter, LogDraft, NewTransaction
from domain.ledger.postings import BalanceCheck, plan_postings, reverse_postings
from domain.ledger.query import ListQuery, Page
from domain.ledger.records import (
    event_transaction,
    new_transaction_log,
    transaction_from_json,
    transaction_json,
)
from domain.ledger.validation import (
    DEFAULT_BUCKET,
    resolve_features,
    validate_address,
    validate_bucket,
    validate_ledger_name,
    validate_metadata,
    validate_postings,
)

T = TypeVar("T")
MAX_ATTEMPTS = 6
MAX_BULK_ELEMENTS = 100
BULK_PARALLELISM = 10


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class BulkElement:
    action: str  # CREATE_TRANSACTION, ADD_METADATA, REVERT_TRANSACTION, DELETE_METADATA
    command: Command
    options: WriteOptions


@dataclass(slots=True)
class BulkOutcome:
    action: str
    result: WriteResult | None = None
    error: DomainError | None = None


class LedgerService:
    def __init__(self, store: LedgerStore, *, clock: Callable[[], datetime] = utcnow,
                 experimental_features: bool = False) -> None:
        self.store = store
        self.clock = clock
        self.experimental_features = experimental_features

    # --- ledgers ---------------------------------------------------------------------------

    async def create_ledger(self, name: str, bucket: str | None, metadata: Metadata,
                            features: dict[str, str] | None) -> None:
        validate_ledger_name(name)
        ledger = Ledger(
            id=0, name=name, bucket=validate_bucket(bucket or DEFAULT_BUCKET),
            metadata=validate_metadata(metadata),
            features=resolve_features(features, experimental=self.experimental_features),
            added_at=self.clock(),
        )
        if await self.store.get_ledger(name) is not None:
            raise LedgerAlreadyExistsError(name)
        await self.store.create_ledger(ledger)

    async def get_ledger(self, name: str) -> Ledger:
        ledger = await self.store.get_ledger(name)
        if ledger is None:
            raise LedgerNotFoundError(name)
        return ledger

    async def require_ledger(self, name: str) -> None:
        if not await self.store.ledger_exists(name):
            raise LedgerNotFoundError(name)

    async def list_ledgers(self, query: ListQuery) -> Page[Ledger]:
        return await self.store.list_ledgers(query)

    async def update_ledger_metadata(self, name: str, metadata: Metadata) -> None:
        await self.require_ledger(name)
        await self.store.update_ledger_metadata(name, validate_metadata(metadata))

    async def delete_ledger_metadata(self, name: str, key: str) -> None:
        await self.require_ledger(name)
        await self.store.delete_ledger_metadata(name, key)

    async def stats(self, name: str) -> Stats:
        await self.require_ledger(name)
        return await self.store.stats(name)

    # --- reads -----------------------------------------------------------------------------

    async def get_transaction(self, ledger: str, transaction_id: int,
                              expand: tuple[str, ...] = (), pit: datetime | None = None
                              ) -> Transaction:
        await self.require_ledger(ledger)
        tx = await self.store.get_transaction(ledger, transaction_id, expand, pit)
        if tx is None:
            raise TransactionNotFoundError(transaction_id)
        return tx

    async def list_transactions(self, ledger: str, query: ListQuery) -> Page[Transaction]:
        await self.require_ledger(ledger)
        return await self.store.list_transactions(ledger, query)

    async def count_transactions(self, ledger: str, query: ListQuery) -> int:
        await self.require_ledger(ledger)
        return await self.store.count_transactions(ledger, query)

    async def get_account(self, ledger: str, address: str, expand: tuple[str, ...] = (),
                          pit: datetime | None = None) -> Account:
        from domain.ledger.errors import AccountNotFoundError

        await self.require_ledger(ledger)
        validate_address(address)
        account = await self.store.get_account(ledger, address, expand, pit)
        if account is None:
            raise AccountNotFoundError(address)
        return account

    async def list_accounts(self, ledger: str, query: ListQuery) -> Page[Account]:
        await self.require_ledger(ledger)
        return await self.store.list_accounts(ledger, query)

    async def count_accounts(self, ledger: str, query: ListQuery) -> int:
        await self.require_ledger(ledger)
        return await self.store.count_accounts(ledger, query)

    async def aggregate_balances(self, ledger: str, query: ListQuery) -> dict[str, int]:
        await self.require_ledger(ledger)
        return await self.store.aggregate_balances(ledger, query)

    async def list_volumes(self, ledger: str, query: ListQuery) -> Page[VolumeRow]:
        await self.require_ledger(ledger)
        return await self.store.list_volumes(ledger, query)

    async def list_logs(self, ledger: str, query: ListQuery) -> Page[Log]:
        await self.require_ledger(ledger)
        return await self.store.list_logs(ledger, query)

    # --- writes ----------------------------------------------------------------------------

    async def execute(self, ledger: str, command: Command, options: WriteOptions) -> WriteResult:
        await self.require_ledger(ledger)
        self._validate(command)
        return await self._unit_of_work(
            ledger, options, lambda w: self._apply(ledger, w, command, options)
        )

    async def bulk(self, ledger: str, elements: list[BulkElement], *, atomic: bool,
                   parallel: bool, continue_on_failure: bool) -> list[BulkOutcome]:
        from domain.ledger.errors import BulkSizeExceededError

        if len(elements) > MAX_BULK_ELEMENTS:
            raise BulkSizeExceededError(
                f"bulk has {len(elements)} elements, the maximum is {MAX_BULK_ELEMENTS}"
            )
        if atomic and parallel:
            raise ValidationError("atomic and parallel cannot be combined")
        await self.require_ledger(ledger)
        if atomic:
            return await self._bulk_atomic(ledger, elements, continue_on_failure)
        if parallel:
            gate = asyncio.Semaphore(BULK_PARALLELISM)

            async def run(element: BulkElement) -> BulkOutcome:
                async with gate:
                    return await self._bulk_one(ledger, element)

            return list(await asyncio.gather(*(run(e) for e in elements)))
        outcomes: list[BulkOutcome] = []
        failed = False
        for element in elements:
            if failed and not continue_on_failure:
                outcomes.append(BulkOutcome(element.action, error=DomainError(
                    "context canceled: an earlier element failed")))
                continue
            outcome = await self._bulk_one(ledger, element)
            failed = failed or outcome.error is not None
            outcomes.append(outcome)
        return outcomes

    async def _bulk_one(self, ledger: str, element: BulkElement) -> BulkOutcome:
        try:
            self._validate(element.command)
            result = await self._unit_of_work(
                ledger, element.options,
                lambda w: self._apply(ledger, w, element.command, element.options),
            )
            return BulkOutcome(element.action, result=result)
        except DomainError as exc:
            return BulkOutcome(element.action, error=exc)

    async def _bulk_atomic(self, ledger: str, elements: list[BulkElement],
                           continue_on_failure: bool) -> list[BulkOutcome]:
        """One database transaction for the whole bulk; each element in a savepoint so that
        the others can still report their outcome. Any failure rolls everything back."""
        for attempt in range(MAX_ATTEMPTS):
            outcomes: list[BulkOutcome] = []
            try:
                async with self.store.writer(ledger, dry_run=False, atomic=True) as w:
                    failed = False
                    for element in elements:
                        if failed and not continue_on_failure:
                            outcomes.append(BulkOutcome(element.action, error=DomainError(
                                "context canceled: an earlier element failed")))
                            continue
                        try:
                            self._validate(element.command)
                            async with w.savepoint():
                                result = await self._once(ledger, w, element.command,
                                                          element.options)
                            outcomes.append(BulkOutcome(element.action, result=result))
                        except DomainError as exc:
                            failed = True
                            outcomes.append(BulkOutcome(element.action, error=exc))
                    if failed:
                        w.rollback_only()
                return outcomes
            except TransientWriteError:
                await _backoff(attempt)
        raise WriteContentionError()

    async def _unit_of_work(self, ledger: str, options: WriteOptions,
                            work: Callable[[LedgerWriter], Awaitable[WriteResult]]
                            ) -> WriteResult:
        for attempt in range(MAX_ATTEMPTS):
            try:
                async with self.store.writer(ledger, dry_run=options.dry_run) as w:
                    if options.idempotency_key:
                        log = await w.find_log_by_idempotency_key(options.idempotency_key)
                        if log is not None:
                            return _replay(log, options)
                    return await work(w)
            except TransientWriteError:
                await _backoff(attempt)
            except DomainError:
                # A concurrent request with the same key may have won the race while this one
                # failed on what it changed (balances, reference): answer as its replay.
                if options.idempotency_key:
                    async with self.store.writer(ledger) as w:
                        log = await w.find_log_by_idempotency_key(options.idempotency_key)
                    if log is not None:
                        return _replay(log, options)
                raise
        raise WriteContentionError()

    async def _once(self, ledger: str, w: LedgerWriter, command: Command,
                    options: WriteOptions) -> WriteResult:
        if options.idempotency_key:
            log = await w.find_log_by_idempotency_key(options.idempotency_key)
            if log is not None:
                return _replay(log, options)
        return await self._apply(ledger, w, command, options)

    def _validate(self, command: Command) -> None:
        if isinstance(command, CreateTransaction):
            if command.postings is not None and command.script is not None:
                raise ValidationError("give either postings or a script, not both")
            if command.postings is None and command.script is None:
                raise NoPostingsError("a transaction needs postings or a script")
            if command.postings is not None:
                validate_postings(command.postings)
            validate_metadata(command.metadata)
            for address, md in command.account_metadata.items():
                validate_address(address, what="accountMetadata address")
                validate_metadata(md, what=f"accountMetadata[{address!r}]")
        elif isinstance(command, SaveMetadata):
            validate_metadata(command.metadata)
            if command.target_type is TargetType.ACCOUNT:
                validate_address(str(command.target_id))
        elif isinstance(command, DeleteMetadata) and command.target_type is TargetType.ACCOUNT:
            validate_address(str(command.target_id))

    async def _apply(self, ledger: str, w: LedgerWriter, command: Command,
                     options: WriteOptions) -> WriteResult:
        if isinstance(command, CreateTransaction):
            return await self._create_transaction(ledger, w, command, options)
        if isinstance(command, RevertTransaction):
            return await self._revert(ledger, w, command, options)
        if isinstance(command, SaveMetadata):
            return await self._save_metadata(ledger, w, command, options)
        return await self._delete_metadata(ledger, w, command, options)

    async def _create_transaction(self, ledger: str, w: LedgerWriter, cmd: CreateTransaction,
                                  options: WriteOptions) -> WriteResult:
        metadata = dict(cmd.metadata)
        account_metadata = {a: dict(m) for a, m in cmd.account_metadata.items()}
        if cmd.script is not None:
            postings, script_md, script_account_md = await _run_script(cmd, w)
            for key, value in script_md.items():
                if key in metadata and metadata[key] != value:
                    raise MetadataOverrideError(
                        f"metadata {key!r} is set by both the script and the request"
                    )
                metadata[key] = value
            for address, md in script_account_md.items():
                account_metadata.setdefault(address, {}).update(md)
            check = BalanceCheck.NONE  # the interpreter checked balances under row locks
        else:
            postings = list(cmd.postings or ())
            check = BalanceCheck.NONE if cmd.force else BalanceCheck.SEQUENTIAL
        if not postings:
            raise NoPostingsError("the transaction has no postings")
        now = self.clock()
        timestamp = cmd.timestamp or now
        draft = Transaction(id=PENDING_ID, postings=postings, metadata=metadata,
                            timestamp=timestamp, inserted_at=now, updated_at=now,
                            reference=cmd.reference or None)
        doc = transaction_json(draft, pending_id=True)
        new = NewTransaction(
            postings=postings, plan=plan_postings(postings, check), metadata=metadata,
            account_metadata=account_metadata, timestamp=timestamp, inserted_at=now,
            reference=draft.reference,
            log=LogDraft(LogType.NEW_TRANSACTION, new_transaction_log(doc, account_metadata),
                         now, options.idempotency_key, options.idempotency_hash,
                         [["transaction", "id"]]),
            event=EventDraft("COMMITTED_TRANSACTIONS",
                             {"ledger": ledger, "transactions": [event_transaction(doc)],
                              "accountMetadata": account_metadata},
                             [["transactions", "0", "id"]]),
        )
        tx, log_id = await w.insert_transaction(new)
        return WriteResult(log_id=log_id, transaction=tx)

    async def _revert(self, ledger: str, w: LedgerWriter, cmd: RevertTransaction,
                      options: WriteOptions) -> WriteResult:
        original = await w.lock_transaction(cmd.id)
        if original is None:
            raise TransactionNotFoundError(cmd.id)
        if original.reverted:
            raise AlreadyRevertedError(cmd.id)
        postings = reverse_postings(original.postings)
        now = self.clock()
        timestamp = original.timestamp if cmd.at_effective_date else now
        metadata = {**validate_metadata(cmd.metadata), REVERT_METADATA_KEY: str(original.id)}
        draft = Transaction(id=PENDING_ID, postings=postings, metadata=metadata,
                            timestamp=timestamp, inserted_at=now, updated_at=now)
        doc = transaction_json(draft, pending_id=True)
        reverted_doc = transaction_json(replace(original, reverted_at=now, updated_at=now))
        check = BalanceCheck.NONE if cmd.force else BalanceCheck.FINAL
        new = NewTransaction(
            postings=postings, plan=plan_postings(postings, check), metadata=metadata,
            account_metadata={}, timestamp=timestamp, inserted_at=now, reference=None,
            log=LogDraft(LogType.REVERTED_TRANSACTION,
                         {"revertedTransaction": reverted_doc, "transaction": doc}, now,
                         options.idempotency_key, options.idempotency_hash,
                         [["transaction", "id"]]),
            event=EventDraft("REVERTED_TRANSACTION",
                             {"ledger": ledger,
                              "revertedTransaction": event_transaction(reverted_doc),
                              "revertTransaction": event_transaction(doc)},
                             [["revertTransaction", "id"]]),
            reverts=original.id,
        )
        tx, log_id = await w.insert_transaction(new)
        return WriteResult(log_id=log_id, transaction=tx)

    async def _save_metadata(self, ledger: str, w: LedgerWriter, cmd: SaveMetadata,
                             options: WriteOptions) -> WriteResult:
        now = self.clock()
        data = {"targetType": cmd.target_type.value, "targetId": cmd.target_id,
                "metadata": cmd.metadata}
        log = LogDraft(LogType.SET_METADATA, data, now, options.idempotency_key,
                       options.idempotency_hash)
        event = EventDraft("SAVED_METADATA", {**data, "ledger": ledger,
                                              "targetId": str(cmd.target_id)})
        log_id = await w.save_metadata(cmd.target_type, cmd.target_id, cmd.metadata, log, event)
        if log_id is None:
            raise TransactionNotFoundError(int(cmd.target_id))
        return WriteResult(log_id=log_id)

    async def _delete_metadata(self, ledger: str, w: LedgerWriter, cmd: DeleteMetadata,
                               options: WriteOptions) -> WriteResult:
        from domain.errors import NotFoundError

        now = self.clock()
        data = {"targetType": cmd.target_type.value, "targetId": cmd.target_id, "key": cmd.key}
        log = LogDraft(LogType.DELETE_METADATA, data, now, options.idempotency_key,
                       options.idempotency_hash)
        event = EventDraft("DELETED_METADATA", {**data, "ledger": ledger,
                                                "targetId": str(cmd.target_id)})
        log_id = await w.delete_metadata(cmd.target_type, cmd.target_id, cmd.key, log, event)
        if log_id is None:
            raise NotFoundError(
                f"{cmd.target_type.value.lower()} {cmd.target_id} has no metadata {cmd.key!r}"
            )
        return WriteResult(log_id=log_id)


async def _run_script(cmd: CreateTransaction, w: LedgerWriter
                      ) -> tuple[list[Posting], dict[str, str], dict[str, dict[str, str]]]:
    from domain.numscript import compile_program
    from domain.numscript import execute as run_program

    assert cmd.script is not None
    features: frozenset[str] = frozenset()
    program = compile_program(cmd.script.plain, features=features)
    result = await run_program(program, dict(cmd.script.vars), w, features=features)
    postings = [Posting(p.source, p.destination, int(p.amount), p.asset)
                for p in result.postings]
    return postings, dict(result.tx_metadata), {
        a: dict(m) for a, m in result.account_metadata.items()
    }


def _replay(log: Log, options: WriteOptions) -> WriteResult:
    if log.idempotency_hash != options.idempotency_hash:
        raise IdempotencyKeyConflictError(options.idempotency_key or "")
    tx: Transaction | None = None
    data: dict[str, Any] = log.data
    if log.type in (LogType.NEW_TRANSACTION, LogType.REVERTED_TRANSACTION):
        tx = transaction_from_json(data["transaction"])
    return WriteResult(log_id=log.id, transaction=tx, idempotency_hit=True)


async def _backoff(attempt: int) -> None:
    await asyncio.sleep(random.uniform(0, 0.002 * (2**attempt)))
