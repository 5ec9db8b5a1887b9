"""Bulk: many commands in one request, atomic (one database transaction, a savepoint each) or
not (consecutive new transactions go through the set-based path together, the rest one unit
of work each), in order or in parallel, stopping or continuing on a failure."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import DomainError, ValidationError
from domain.ledger.errors import (
    BulkSizeExceededError,
    CommitRecoveredError,
    TransientWriteError,
    WriteContentionError,
)
from domain.ledger.models import Command, CreateTransaction, WriteOptions, WriteResult
from domain.ledger.service.unit_of_work import MAX_ATTEMPTS, backoff
from domain.ledger.service.writes import Writes
from domain.ledger.validation import bulk_element_limit

MAX_BULK_ELEMENTS = 100


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


class Bulk(Writes):
    async def bulk(self, ledger: str, elements: list[BulkElement], *, atomic: bool,
                   parallel: bool, continue_on_failure: bool) -> list[BulkOutcome]:
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
                await backoff(attempt)
        raise WriteContentionError()


def _submittable(element: BulkElement) -> bool:
    return isinstance(element.command, CreateTransaction) and not element.options.dry_run
