"""Ledger use-cases. Each write is one unit of work on a `LedgerWriter` (one database
transaction, or a single autocommit statement on the fast path), retried a bounded number of
times when the database reports a deadlock or a serialization failure."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from domain.errors import DomainError, ValidationError
from domain.ledger import errors as _errors  # issue 5: buckets, schemas, import
from domain.ledger import importing as _importing
from domain.ledger import schemas as _schemas
from domain.ledger.errors import (
    AlreadyRevertedError,
    CommitRecoveredError,
    IdempotencyKeyConflictError,
    LedgerAlreadyExistsError,
    LedgerNotFoundError,
    MetadataOverrideError,
    NoPostingsError,
    TransactionNotFoundError,
    TransientWriteError,
    WriteContentionError,
)
from domain.ledger.hashing import PENDING_ID, format_time
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
    Script,
    Stats,
    TargetType,
    Transaction,
    VolumeRow,
    WriteOptions,
    WriteResult,
)
from domain.ledger.ports import (
    EventDraft,
    LedgerStore,
    LedgerWriter,
    LogDraft,
    LogImporter,
    NewTransaction,
    SubmitOutcome,
    TransactionSpec,
)
from domain.ledger.postings import BalanceCheck, plan_postings, reverse_postings
from domain.ledger.query import ListQuery, Page
from domain.ledger.records import (
    event_transaction,
    transaction_from_json,
    transaction_json,
)
from domain.ledger.validation import (
    DEFAULT_BUCKET,
    bulk_element_limit,
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
        if ledger is None or ledger.deleted_at is not None:  # soft-deleted bucket: not found
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
        if isinstance(command, CreateTransaction) and not options.dry_run:
            results = await self._submit(ledger, [(command, options)], stop_on_failure=False,
                                         validated=True)
            if results:
                outcome = results[0]
                if outcome.error is not None:
                    raise outcome.error
                assert outcome.result is not None
                return outcome.result
        hint: set[tuple[str, str]] = set()
        return await self._unit_of_work(
            ledger, options, lambda w: self._apply(ledger, w, command, options, hint)
        )

    async def bulk(self, ledger: str, elements: list[BulkElement], *, atomic: bool,
                   parallel: bool, continue_on_failure: bool) -> list[BulkOutcome]:
        from domain.ledger.errors import BulkSizeExceededError

        if len(elements) > (limit := bulk_element_limit()):  # LIMIT_BULK_ELEMENTS
            raise BulkSizeExceededError(
                f"bulk has {len(elements)} elements, the maximum is {limit}"
            )
        if atomic and parallel:
            raise ValidationError("atomic and parallel cannot be combined")
        await self.require_ledger(ledger)
        if atomic:
            return await self._bulk_atomic(ledger, elements, continue_on_failure)
        # Parallel elements are independent: any order is one they could have run in, and the
        # order of the request is the one a sequential bulk that continues on failure takes.
        stop_on_failure = not continue_on_failure and not parallel
        outcomes: list[BulkOutcome] = []
        failed = False
        i = 0
        while i < len(elements):
            if failed and stop_on_failure:
                outcomes.append(BulkOutcome(elements[i].action, error=DomainError(
                    "context canceled: an earlier element failed")))
                i += 1
                continue
            # The consecutive transactions from here go to the set-based path together.
            run: list[BulkElement] = []
            while (i + len(run) < len(elements)
                   and _submittable(elements[i + len(run)]) and len(run) < MAX_BULK_ELEMENTS):
                run.append(elements[i + len(run)])
            done = await self._submit(
                ledger, [(e.command, e.options) for e in run], stop_on_failure=stop_on_failure)
            for element, sub in zip(run, done, strict=False):
                outcomes.append(BulkOutcome(element.action, result=sub.result, error=sub.error))
                failed = failed or sub.error is not None
            if done:
                i += len(done)
                continue
            outcome = await self._bulk_one(ledger, elements[i])
            failed = failed or outcome.error is not None
            outcomes.append(outcome)
            i += 1
        return outcomes

    async def _submit(self, ledger: str, commands: list[tuple[Command, WriteOptions]], *,
                      stop_on_failure: bool, validated: bool = False) -> list[_Submitted]:
        """The set-based write path (LedgerStore.submit_transactions) for new transactions that
        need no read beforehand: postings, or a script whose sources are all unbounded. Returns
        the outcomes of a prefix of `commands`, in order; the rest (a command that needs reads,
        an invalid one, one the storage deferred, and everything after it) is the caller's to
        run through a LedgerWriter, where every case has its one implementation."""
        for attempt in range(MAX_ATTEMPTS):
            news: list[TransactionSpec] = []
            for command, options in commands:
                if not isinstance(command, CreateTransaction) or options.dry_run:
                    break
                try:
                    if not validated:
                        self._validate(command)
                    # (the schema is enforced by _new_transaction, on the final postings)
                    new = await self._new_transaction(ledger, _NO_READS, command, options, set())
                except (_NeedsReads, DomainError):
                    break
                news.append(new)
            if not news:
                return []
            try:
                outcomes = await self.store.submit_transactions(
                    ledger, news, stop_on_failure=stop_on_failure)
            except TransientWriteError:
                await _backoff(attempt)
                continue
            results: list[_Submitted] = []
            for (_, options), outcome in zip(commands, outcomes, strict=False):
                if outcome.deferred:
                    break
                results.append(_submitted(outcome, options))
            return results
        raise WriteContentionError()

    async def _bulk_one(self, ledger: str, element: BulkElement) -> BulkOutcome:
        try:
            self._validate(element.command)
            hint: set[tuple[str, str]] = set()
            result = await self._unit_of_work(
                ledger, element.options,
                lambda w: self._apply(ledger, w, element.command, element.options, hint),
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
            except CommitRecoveredError:
                return outcomes  # its COMMIT went unanswered but did happen
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
            except CommitRecoveredError as recovered:
                # The connection failed around the COMMIT, and reading back showed it happened:
                # answer from what was written, never run it again.
                return _written(recovered.logs[-1])
            except TransientWriteError:  # a conflict, or known not written: run it again
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
                     options: WriteOptions, hint: set[tuple[str, str]] | None = None
                     ) -> WriteResult:
        await self._enforce_schema(ledger, command)  # issue 5: ledger schemas (cached check)
        if isinstance(command, CreateTransaction):
            return await self._create_transaction(ledger, w, command, options,
                                                  set() if hint is None else hint)
        if isinstance(command, RevertTransaction):
            return await self._revert(ledger, w, command, options)
        if isinstance(command, SaveMetadata):
            return await self._save_metadata(ledger, w, command, options)
        return await self._delete_metadata(ledger, w, command, options)

    async def _create_transaction(self, ledger: str, w: LedgerWriter, cmd: CreateTransaction,
                                  options: WriteOptions, hint: set[tuple[str, str]]
                                  ) -> WriteResult:
        spec = await self._new_transaction(ledger, w, cmd, options, hint)
        tx, log_id = await w.insert_transaction(spec.dated(spec.requested_at))
        return WriteResult(log_id=log_id, transaction=tx)

    async def _new_transaction(self, ledger: str, w: LedgerWriter, cmd: CreateTransaction,
                               options: WriteOptions, hint: set[tuple[str, str]]
                               ) -> TransactionSpec:
        """What storage writes for a create-transaction. `w` answers the script's reads."""
        metadata = dict(cmd.metadata)
        account_metadata = {a: dict(m) for a, m in cmd.account_metadata.items()}
        if cmd.script is not None:
            if cmd.script.template is not None:  # issue 5: transaction templates
                cmd = replace(cmd, script=await self._template_script(ledger, cmd.script))
            postings, script_md, script_account_md = await _run_script(cmd, w, hint)
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
        await self._enforce_schema_postings(ledger, postings, account_metadata)  # issue 5
        return TransactionSpec(
            ledger=ledger, postings=postings, plan=plan_postings(postings, check),
            metadata=metadata, account_metadata=account_metadata,
            reference=cmd.reference or None,
            template=cmd.script.template if cmd.script is not None else None,
            timestamp=cmd.timestamp, requested_at=self.clock(),
            idempotency_key=options.idempotency_key, idempotency_hash=options.idempotency_hash,
        )

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

    # --- issue 5: buckets, v1 auto-creation, schemas, log import/export ----------------------

    async def delete_bucket(self, bucket: str) -> None:
        """Soft-deletes every ledger of the bucket: hidden from lists, 404 on use."""
        if not await self.store.set_bucket_deleted(validate_bucket(bucket), self.clock()):
            raise _errors.BucketNotFoundError(bucket)

    async def restore_bucket(self, bucket: str) -> None:
        if not await self.store.set_bucket_deleted(validate_bucket(bucket), None):
            raise _errors.BucketNotFoundError(bucket)

    async def ensure_ledger(self, name: str) -> None:
        """Ledger v1 creates a ledger on first use, in a bucket of its own name."""
        if await self.store.ledger_exists(name):
            return
        try:
            await self.create_ledger(name, name, {}, None)
        except LedgerAlreadyExistsError:
            if not await self.store.ledger_exists(name):  # it exists, soft-deleted
                raise LedgerNotFoundError(name) from None

    @property
    def schemas(self) -> _schemas.SchemaRegistry:
        registry: _schemas.SchemaRegistry | None = getattr(self, "_schema_registry", None)
        if registry is None:
            registry = _schemas.SchemaRegistry(self.store)
            self._schema_registry = registry
        return registry

    async def insert_schema(self, ledger: str, version: str, body: object,
                            options: WriteOptions) -> bool:
        """Returns whether it is the replay of an earlier insert (Idempotency-Hit)."""
        await self.require_ledger(ledger)
        now = self.clock()
        schema = _schemas.parse_schema_data(body, version, now)
        if options.idempotency_key:
            async with self.store.writer(ledger) as w:
                earlier = await w.find_log_by_idempotency_key(options.idempotency_key)
            if earlier is not None:
                if earlier.idempotency_hash != options.idempotency_hash:
                    raise IdempotencyKeyConflictError(options.idempotency_key)
                return True
        log = LogDraft("INSERTED_SCHEMA", {"schema": schema.to_json(format_time(now))}, now,
                       options.idempotency_key, options.idempotency_hash)
        await self.store.insert_schema(ledger, schema, log)
        self.schemas.inserted(ledger)
        return False

    async def get_schema(self, ledger: str, version: str) -> _schemas.LedgerSchema:
        await self.require_ledger(ledger)
        schema = await self.schemas.get(ledger, version)
        if schema is None:
            raise _errors.SchemaNotFoundError(version)
        return schema

    async def list_schemas(self, ledger: str, offset: int, limit: int, descending: bool
                           ) -> list[_schemas.LedgerSchema]:
        await self.require_ledger(ledger)
        return await self.store.list_schemas(ledger, offset, limit, descending)

    async def write_schema(self, ledger: str) -> _schemas.LedgerSchema | None:
        """The schema a write follows: None for a ledger without schemas; otherwise the
        requested version, which must exist (strict mode: a version is required)."""
        version = _schemas.requested_schema_version.get()
        if not await self.schemas.has_schemas(ledger):
            if version:
                raise _errors.SchemaNotFoundError(version)
            return None
        if not version:
            raise _errors.SchemaNotSpecifiedError(ledger)
        schema = await self.schemas.get(ledger, version)
        if schema is None:
            raise _errors.SchemaNotFoundError(version)
        return schema

    async def _enforce_schema(self, ledger: str, command: Command) -> None:
        schema = await self.write_schema(ledger)
        if schema is not None and isinstance(command, SaveMetadata) \
                and command.target_type is TargetType.ACCOUNT:
            _schemas.check_accounts(schema, [str(command.target_id)])

    async def _enforce_schema_postings(self, ledger: str, postings: list[Posting],
                                       account_metadata: dict[str, Metadata]) -> None:
        schema = await self.write_schema(ledger)
        if schema is not None:
            _schemas.check_postings(schema, postings, account_metadata)

    async def _template_script(self, ledger: str, script: Script) -> Script:
        """The script of transaction template `script.template` in the schema version the write
        names; the caller's vars are kept. (Its `runtime` needs no choice here: Ledgerflow has
        one Numscript engine, which accepts both runtime names.)"""
        assert script.template is not None
        schema = await self.write_schema(ledger)  # strict mode: SCHEMA_NOT_SPECIFIED
        if schema is None:
            raise ValidationError(f"transaction template {script.template!r}: the ledger has "
                                  "no schema to take it from")
        found = schema.transactions.get(script.template)
        if not isinstance(found, dict):
            raise ValidationError(f"transaction template {script.template!r} not found in "
                                  f"schema {schema.version!r}")
        return Script(str(found["script"]), script.vars, script.template)

    async def query_template(self, ledger: str, query_id: str, variables: dict[str, str],
                             params: dict[str, Any]) -> _schemas.RenderedQuery:
        """A query template of the requested schema version (default: the latest one)."""
        await self.require_ledger(ledger)
        version = _schemas.requested_schema_version.get()
        if version:
            schema = await self.get_schema(ledger, version)
        else:
            latest = await self.store.list_schemas(ledger, 0, 1, True)
            if not latest:
                raise _errors.SchemaNotFoundError("(latest)")
            schema = latest[0]
        return _schemas.render_query(schema, query_id, variables, params)

    async def export_logs(self, ledger: str, batch: int = 500) -> AsyncIterator[Log]:
        await self.require_ledger(ledger)
        after = 0
        while True:
            page = await self.store.read_logs(ledger, after, batch)
            for log in page:
                yield log
            if len(page) < batch:
                return
            after = page[-1].id

    async def import_logs(self, ledger: str, logs: list[_importing.ImportedLog]) -> int:
        """Checks the whole stream, then re-applies it in one database transaction."""
        await self.require_ledger(ledger)
        last_id, last_hash = await self.store.log_head(ledger)
        _importing.verify(logs, last_id, last_hash)
        schemas = False
        try:
            async with self.store.importer(ledger) as imp:
                for log in logs:
                    log_id = await self._import_one(ledger, imp, log)
                    schemas = schemas or log.type == _importing.INSERTED_SCHEMA
                    if log_id != log.id:
                        raise _errors.ImportLogsError(
                            f"log {log.id} was written as log {log_id}: the ledger changed "
                            "during the import")
        except _errors.ImportLogsError:
            raise
        except (DomainError, TransientWriteError) as exc:
            raise _errors.ImportLogsError(f"import failed, nothing imported: {exc}") from None
        if schemas:
            self.schemas.inserted(ledger)
        return len(logs)

    async def _import_one(self, ledger: str, imp: LogImporter,
                          log: _importing.ImportedLog) -> int | None:
        if log.type in (LogType.NEW_TRANSACTION, LogType.REVERTED_TRANSACTION):
            new, tx_id = _importing.new_transaction(ledger, log)
            tx, log_id = await imp.insert_transaction(new)
            if tx.id != tx_id:
                raise _errors.ImportLogsError(
                    f"log {log.id}: transaction {tx_id} would be written as {tx.id}")
            return log_id
        if log.type == _importing.INSERTED_SCHEMA:
            doc = log.data.get("schema") or {}
            schema = _schemas.parse_schema_data(doc, str(doc.get("version", "")), log.date)
            return await imp.insert_schema(schema, _importing.draft(log, log.data))
        target_type, target = _importing.metadata_target(log)
        payload = {**log.data, "ledger": ledger, "targetId": str(target)}
        if log.type == LogType.SET_METADATA:
            md = dict(log.data.get("metadata") or {})
            return await imp.save_metadata(target_type, target, md, _importing.draft(
                log, log.data), EventDraft("SAVED_METADATA", payload))
        return await imp.delete_metadata(target_type, target, str(log.data.get("key")),
                                         _importing.draft(log, log.data),
                                         EventDraft("DELETED_METADATA", payload))

    async def get_v1_mapping(self, ledger: str) -> dict[str, Any] | None:
        await self.ensure_ledger(ledger)
        return await self.store.get_v1_mapping(ledger)

    async def save_v1_mapping(self, ledger: str, mapping: dict[str, Any]) -> None:
        await self.ensure_ledger(ledger)
        await self.store.save_v1_mapping(ledger, mapping)


class _ScriptStore:
    """The interpreter's view of the writer, whose balance reads lock the rows they read, in the
    order the interpreter asks. The postings' other rows are locked later, by the insert, so two
    scripts can lock each other's rows in opposite orders and deadlock. `hint` collects every
    (account, asset) an attempt touched; a retry first locks all of them in one sorted statement
    and answers from that, so the retries queue in one order instead of deadlocking again."""

    def __init__(self, w: LedgerWriter, hint: set[tuple[str, str]]) -> None:
        self.w = w
        self.hint = hint
        self.locked: dict[str, dict[str, int]] = {}

    async def prelock(self) -> None:
        if not self.hint:
            return
        query: dict[str, set[str]] = {}
        for account, asset in self.hint:
            query.setdefault(account, set()).add(asset)
        self.locked = await self.w.get_balances(query)

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        missing: dict[str, set[str]] = {}
        for account, assets in query.items():
            known = self.locked.get(account, {})
            out[account] = {a: known[a] for a in assets if a in known}
            rest = {a for a in assets if a not in known}
            if rest:
                missing[account] = rest
            # A scale wildcard (EUR/*) is no row of its own: nothing to lock ahead for it.
            self.hint.update((account, a) for a in assets if not a.endswith("/*"))
        if missing:
            for account, found in (await self.w.get_balances(missing)).items():
                out.setdefault(account, {}).update(found)
        return out

    async def get_accounts_metadata(self, query: dict[str, set[str]]
                                    ) -> dict[str, dict[str, str]]:
        return await self.w.get_accounts_metadata(query)


class _NeedsReads(Exception):
    """The script reads balances or metadata: not for the set-based path."""


class _NoReads:
    """The LedgerWriter a submitted transaction's script sees: any read sends it back to the
    per-transaction path, where reads lock what they read."""

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        raise _NeedsReads

    async def get_accounts_metadata(self, query: dict[str, set[str]]
                                    ) -> dict[str, dict[str, str]]:
        raise _NeedsReads


_NO_READS = cast(LedgerWriter, _NoReads())


@dataclass(slots=True)
class _Submitted:
    result: WriteResult | None = None
    error: DomainError | None = None


def _submittable(element: BulkElement) -> bool:
    return isinstance(element.command, CreateTransaction) and not element.options.dry_run


def _submitted(outcome: SubmitOutcome, options: WriteOptions) -> _Submitted:
    if outcome.existing_log is not None:
        try:
            return _Submitted(result=_replay(outcome.existing_log, options))
        except DomainError as exc:
            return _Submitted(error=exc)
    if outcome.error is not None:
        error = outcome.error
        if not isinstance(error, DomainError):
            raise error
        return _Submitted(error=error)
    assert outcome.transaction is not None and outcome.log_id is not None
    return _Submitted(result=WriteResult(log_id=outcome.log_id, transaction=outcome.transaction))


async def _run_script(cmd: CreateTransaction, w: LedgerWriter, hint: set[tuple[str, str]]
                      ) -> tuple[list[Posting], dict[str, str], dict[str, dict[str, str]]]:
    from domain.numscript import compile_program
    from domain.numscript import execute as run_program

    assert cmd.script is not None
    features: frozenset[str] = frozenset()
    program = compile_program(cmd.script.plain, features=features)
    store = _ScriptStore(w, hint)
    await store.prelock()
    result = await run_program(program, dict(cmd.script.vars), store, features=features)
    postings = [Posting(p.source, p.destination, int(p.amount), p.asset)
                for p in result.postings]
    for p in postings:
        hint.update(((p.source, p.asset), (p.destination, p.asset)))
    return postings, dict(result.tx_metadata), {
        a: dict(m) for a, m in result.account_metadata.items()
    }


def _replay(log: Log, options: WriteOptions) -> WriteResult:
    if log.idempotency_hash != options.idempotency_hash:
        raise IdempotencyKeyConflictError(options.idempotency_key or "")
    return replace(_written(log), idempotency_hit=True)


def _written(log: Log) -> WriteResult:
    tx: Transaction | None = None
    data: dict[str, Any] = log.data
    if log.type in (LogType.NEW_TRANSACTION, LogType.REVERTED_TRANSACTION):
        tx = transaction_from_json(data["transaction"])
    return WriteResult(log_id=log.id, transaction=tx)


async def _backoff(attempt: int) -> None:
    await asyncio.sleep(random.uniform(0, 0.002 * (2**attempt)))
