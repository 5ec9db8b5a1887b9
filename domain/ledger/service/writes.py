"""The write path of one command. Each write is one unit of work on a `LedgerWriter` (one
database transaction, or a single autocommit statement on the set-based path), retried a bounded
number of times when the database reports a deadlock or a serialization failure. New
transactions that need no read go through the set-based path (`LedgerStore.submit_transactions`);
reverts, metadata and scripts that read balances run in a unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from domain.errors import DomainError, ValidationError
from domain.ledger.errors import (
    AlreadyRevertedError,
    CommitRecoveredError,
    MetadataOverrideError,
    NoPostingsError,
    TransactionNotFoundError,
    TransientWriteError,
    WriteContentionError,
)
from domain.ledger.hashing import PENDING_ID
from domain.ledger.models import (
    REVERT_METADATA_KEY,
    Command,
    CreateTransaction,
    DeleteMetadata,
    LogType,
    RevertTransaction,
    SaveMetadata,
    TargetType,
    Transaction,
    WriteOptions,
    WriteResult,
)
from domain.ledger.ports import (
    EventDraft,
    LedgerWriter,
    LogDraft,
    NewTransaction,
    SubmitOutcome,
    TransactionSpec,
)
from domain.ledger.postings import BalanceCheck, plan_postings, reverse_postings
from domain.ledger.records import event_transaction, transaction_json
from domain.ledger.service.metadata import MetadataWrites
from domain.ledger.service.schemas import Schemas
from domain.ledger.service.scripts import NO_READS, NeedsReads, run_script
from domain.ledger.service.unit_of_work import MAX_ATTEMPTS, backoff, replay, written
from domain.ledger.validation import validate_address, validate_metadata, validate_postings


class Writes(MetadataWrites, Schemas):
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
                    new = await self._new_transaction(ledger, NO_READS, command, options, set())
                except (NeedsReads, DomainError):
                    break
                news.append(new)
            if not news:
                return []
            try:
                outcomes = await self.store.submit_transactions(
                    ledger, news, stop_on_failure=stop_on_failure)
            except TransientWriteError:
                await backoff(attempt)
                continue
            results: list[_Submitted] = []
            for (_, options), outcome in zip(commands, outcomes, strict=False):
                if outcome.deferred:
                    break
                results.append(_submitted(outcome, options))
            return results
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
                            return replay(log, options)
                    return await work(w)
            except CommitRecoveredError as recovered:
                # The connection failed around the COMMIT, and reading back showed it happened:
                # answer from what was written, never run it again.
                return written(recovered.logs[-1])
            except TransientWriteError:  # a conflict, or known not written: run it again
                await backoff(attempt)
            except DomainError:
                # A concurrent request with the same key may have won the race while this one
                # failed on what it changed (balances, reference): answer as its replay.
                if options.idempotency_key:
                    async with self.store.writer(ledger) as w:
                        log = await w.find_log_by_idempotency_key(options.idempotency_key)
                    if log is not None:
                        return replay(log, options)
                raise
        raise WriteContentionError()

    async def _once(self, ledger: str, w: LedgerWriter, command: Command,
                    options: WriteOptions) -> WriteResult:
        if options.idempotency_key:
            log = await w.find_log_by_idempotency_key(options.idempotency_key)
            if log is not None:
                return replay(log, options)
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
            postings, script_md, script_account_md = await run_script(cmd, w, hint)
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


@dataclass(slots=True)
class _Submitted:
    result: WriteResult | None = None
    error: DomainError | None = None



def _submitted(outcome: SubmitOutcome, options: WriteOptions) -> _Submitted:
    if outcome.existing_log is not None:
        try:
            return _Submitted(result=replay(outcome.existing_log, options))
        except DomainError as exc:
            return _Submitted(error=exc)
    if outcome.error is not None:
        error = outcome.error
        if not isinstance(error, DomainError):
            raise error
        return _Submitted(error=error)
    assert outcome.transaction is not None and outcome.log_id is not None
    return _Submitted(result=WriteResult(log_id=outcome.log_id, transaction=outcome.transaction))
