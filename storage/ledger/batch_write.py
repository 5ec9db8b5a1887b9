"""The set-based write path: many new transactions of one ledger written together, in one
statement when it can be, whatever their number.

Per-transaction statements cost PostgreSQL a parse-bind-execute, a plan and a trip through the
executor for each of the seven tables a transaction touches, and each write of a group commit
also paid a savepoint. Here a batch (concurrent requests and bulk elements alike) is evaluated in
Python, in arrival order (ids, log hash chain, post-commit volumes), and written by WRITE_SQL:
volume deltas, the ledger's counters, and every transaction, move, account, log and event with
`unnest` over arrays. Two ways to run it:

- OPTIMISTIC, one autocommit statement, one round trip: this process remembers the ledger head
  (last ids and hash) it wrote last. The statement itself checks what Python could not see: the
  head is still the one remembered (no other writer came in between), no touched row has a
  later effective date than the transaction (back-dating), every source holds the balance its
  transaction needs. If any check fails, the statement raises and nothing is written.
- LOCKED, when the head is unknown or an optimistic statement failed: BEGIN; one statement
  locks the ledger row and then the touched (account, asset) rows in sorted order, returning
  their state; Python checks balances exactly, leaving out the transactions that fail
  (insufficient funds, a reference already used) without affecting the others; WRITE_SQL;
  COMMIT. This is the per-request group commit's semantics, with two statements per batch.

Lock order is the one of every write path (storage/ledger/writes.py, LOCK_LEDGER_SQL): the
ledger row first, then the volume rows sorted.
If the connection fails while the statement (OPTIMISTIC) or the COMMIT (LOCKED) may have
committed, `write` raises BatchOutcomeUnknown with what the batch wrote (its last log id and
hash): the caller reads that back (storage/ledger/outcome.py) and, if it committed, `recovered`
completes the answers.

What this path does not take (a back-dated transaction, which rewrites later moves' effective
volumes; an idempotency key used twice in one batch) is DEFERRED: the caller runs it through the
per-transaction path, so every case keeps one implementation of its rules.
"""

from __future__ import annotations

import logging
from base64 import b64encode
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from orjson import Fragment

from domain.errors import DomainError
from domain.ledger.errors import (
    InsufficientFundError,
    LedgerNotFoundError,
    ReferenceConflictError,
    TransientWriteError,
)
from domain.ledger.hashing import chain_hash, format_time, log_memento, split_pending_id
from domain.ledger.models import AggregatedVolumes, Log, Transaction, Volumes
from domain.ledger.ports import NewTransaction, SubmitOutcome, TransactionSpec
from storage.failures import is_connection_failure
from storage.ledger.jsonutil import dumps
from storage.ledger.outcome import Attempt, OutcomeUnknown, pid_of
from storage.ledger.writes import (
    ACCOUNT_UPSERT_CONFLICT,
    find_logs_by_idempotency_keys,
    funds_guard,
)
from storage.outbox import event_envelope

APP = "ledger"
log = logging.getLogger(__name__)

# A batch statement is milliseconds; one that has not answered in this time is treated like a
# dropped connection (outcome unknown, read back), so no request waits on it forever.
STATEMENT_TIMEOUT_S = 10.0

_BATCH_FINALS_SQL = """
SELECT DISTINCT ON (account_address, asset) account_address AS address, asset,
       post_commit_volumes_input AS input, post_commit_volumes_output AS output
FROM moves WHERE ledger = $1 AND transaction_id BETWEEN $2 AND $3
ORDER BY account_address, asset, seq DESC
"""

LOCK_SQL = """
WITH l AS (
    SELECT last_transaction_id, last_log_id, last_log_hash FROM ledgers
    WHERE name = $1 AND deleted_at IS NULL
    FOR UPDATE
),
vol AS (
    SELECT v.address, v.asset, v.input, v.output, v.last_effective_date
    FROM accounts_volumes v
    WHERE v.ledger = $1 AND EXISTS (SELECT 1 FROM l) AND v.address = ANY($2::text[])
      AND (v.address, v.asset) IN (SELECT * FROM unnest($2::text[], $3::text[]))
    ORDER BY v.address, v.asset
    FOR UPDATE OF v
)
SELECT l.last_transaction_id, l.last_log_id, l.last_log_hash,
       vol.address, vol.asset, vol.input, vol.output, vol.last_effective_date
FROM l LEFT JOIN vol ON true
"""

USED_REFERENCES_SQL = """
SELECT reference FROM transactions WHERE ledger = $1 AND reference = ANY($2::text[])
"""

# The batch travels as one JSON document per table (arrays of rows, amounts as strings, times
# as RFC 3339 text): asyncpg's array encoders cost about a microsecond per element (an ABC
# isinstance check each), which was a fifth of a bulk's CPU time; JSON text is one copy. Every
# check that Python could not make (module docstring) raises through ledgerflow_fail, which
# aborts the whole statement.
WRITE_SQL = f"""
WITH hd AS (
    -- A lock returns the row's latest version, which a plain qual on the statement's
    -- snapshot would not see when the previous batch committed while this one waited.
    SELECT last_transaction_id, last_log_id FROM ledgers
    WHERE name = $1 AND deleted_at IS NULL
    FOR UPDATE
),
u AS (
    SELECT r->>0 AS address, r->>1 AS asset, (r->>2)::numeric AS d_in,
           (r->>3)::numeric AS d_out, (r->>4)::timestamptz AS min_ts,
           (r->>5)::timestamptz AS max_ts
    FROM jsonb_array_elements($2::jsonb) AS r
),
lk AS (
    -- index lookups (ScalarArrayOp), locked in (address, asset) order
    SELECT v.address, v.asset, v.last_effective_date AS led
    FROM accounts_volumes v
    WHERE v.ledger = $1 AND (SELECT count(*) FROM hd) >= 0
      AND v.address = ANY(ARRAY(SELECT u.address FROM u))
      AND (v.address, v.asset) IN (SELECT u.address, u.asset FROM u)
    ORDER BY v.address, v.asset
    FOR UPDATE OF v
),
vol AS (
    INSERT INTO accounts_volumes AS v (ledger, address, asset, input, output, last_effective_date)
    SELECT $1, u.address, u.asset, u.d_in, u.d_out, u.max_ts FROM u
    WHERE (SELECT count(*) FROM lk) >= 0
    ORDER BY u.address, u.asset
    ON CONFLICT (ledger, address, asset) DO UPDATE
    SET input = v.input + excluded.input, output = v.output + excluded.output,
        last_effective_date = greatest(v.last_effective_date, excluded.last_effective_date)
    RETURNING v.address, v.asset, v.input, v.output, v.xmax = 0 AS inserted
),
guard AS (
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM hd WHERE last_transaction_id = $7 AND last_log_id = $8)
        THEN ledgerflow_fail('STALE', 'the ledger head moved')
        WHEN EXISTS (SELECT 1 FROM lk JOIN u ON u.address = lk.address AND u.asset = lk.asset
                     WHERE lk.led > u.min_ts)
        THEN ledgerflow_fail('STALE', 'a transaction is back-dated')
        WHEN EXISTS (SELECT 1 FROM vol WHERE NOT vol.inserted AND NOT EXISTS (
                     SELECT 1 FROM lk WHERE lk.address = vol.address AND lk.asset = vol.asset))
        THEN ledgerflow_fail('STALE', 'a volume row appeared meanwhile')
        ELSE coalesce((
            SELECT bool_and(CASE
                {funds_guard("vol.address", "vol.asset",
                             "(vol.input - vol.output) - (c->>2)::numeric", "(c->>3)::numeric")}
                ELSE true END)
            FROM jsonb_array_elements($3::jsonb) AS c
            JOIN vol ON vol.address = c->>0 AND vol.asset = c->>1), true)
        END AS ok
),
l AS (
    UPDATE ledgers SET last_transaction_id = $4, last_log_id = $5, last_log_hash = $6
    WHERE name = $1 AND (SELECT ok FROM guard)
    RETURNING 1
),
tx AS (
    INSERT INTO transactions (ledger, id, "timestamp", inserted_at, updated_at, reference,
                              postings, metadata, sources, destinations, template)
    SELECT $1, (r->>0)::bigint, (r->>1)::timestamptz, (r->>2)::timestamptz,
           (r->>2)::timestamptz, r->>3, (r->4)::jsonb, (r->5)::jsonb,
           string_to_array(r->>6, ' '), string_to_array(r->>7, ' '), r->>8
    FROM jsonb_array_elements($9::jsonb) AS r
),
mv AS (
    INSERT INTO moves (ledger, transaction_id, account_address, account_address_array, asset,
                       amount, is_source, insertion_date, effective_date,
                       post_commit_volumes_input, post_commit_volumes_output,
                       post_commit_effective_volumes_input, post_commit_effective_volumes_output)
    SELECT $1, (m.r->>0)::bigint, m.r->>1, string_to_array(m.r->>1, ':'), m.r->>2,
           (m.r->>3)::numeric, (m.r->>4)::bool, (m.r->>5)::timestamptz,
           (m.r->>6)::timestamptz,
           vol.input - (m.r->>7)::numeric, vol.output - (m.r->>8)::numeric,
           vol.input - (m.r->>7)::numeric, vol.output - (m.r->>8)::numeric
    FROM jsonb_array_elements($10::jsonb) WITH ORDINALITY AS m(r, ord)
    JOIN vol ON vol.address = m.r->>1 AND vol.asset = m.r->>2
    ORDER BY m.ord
),
acc AS (
    INSERT INTO accounts AS a (ledger, address, address_array, metadata, first_usage,
                               insertion_date, updated_at)
    SELECT $1, r->>0, string_to_array(r->>0, ':'), (r->1)::jsonb, (r->>2)::timestamptz,
           (r->>3)::timestamptz, (r->>4)::timestamptz
    FROM jsonb_array_elements($11::jsonb) AS r
    ORDER BY r->>0
{ACCOUNT_UPSERT_CONFLICT}),
lg AS (
    INSERT INTO logs (ledger, id, type, data, date, hash, idempotency_key, idempotency_hash)
    SELECT $1, (r->>0)::bigint, r->>1, (r->2)::jsonb, (r->>3)::timestamptz,
           decode(r->>4, 'base64'), r->>5, r->>6
    FROM jsonb_array_elements($12::jsonb) AS r
),
ev AS (
    INSERT INTO events_outbox (app, type, envelope)
    SELECT 'ledger', e.r->>0, (e.r->1)::jsonb
    FROM jsonb_array_elements($13::jsonb) WITH ORDINALITY AS e(r, ord)
    ORDER BY e.ord
)
SELECT vol.address, vol.asset, vol.input, vol.output,
       CASE WHEN EXISTS (SELECT 1 FROM l) THEN true
            ELSE ledgerflow_fail('STALE', 'the ledger head moved') END AS ok
FROM vol
"""


@dataclass(eq=False, slots=True)
class FastGroup:
    """Transactions submitted together (one request, or the consecutive transactions of a
    bulk), evaluated in order. With `stop_on_failure`, a failure cancels the group's later
    transactions; a deferred one defers the rest, so that their order is kept."""

    items: Sequence[TransactionSpec]
    stop_on_failure: bool
    texts: Sequence[Texts | None] | None = None  # (texts_for each item, when known)


@dataclass(slots=True)
class LedgerHead:
    tx_id: int
    log_id: int
    hash: bytes | None


@dataclass(slots=True)
class _Row:
    input: int
    output: int
    last_effective_date: datetime | None


@dataclass(slots=True)
class _Pair:
    """One (account, asset) in a batch: its total change and the running sums, from which
    every move's and every transaction's post-commit volumes follow once the final row is
    known (final minus what came after)."""

    d_in: int = 0
    d_out: int = 0
    min_ts: datetime | None = None
    max_ts: datetime | None = None


@dataclass(slots=True)
class _Accepted:
    outcome: SubmitOutcome
    # (address, asset, running input, running output) right after this transaction
    after: list[tuple[str, str, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Texts:
    """A transaction's JSON, serialised before its batch, in the request's own coroutine: the
    batch's serial section (the ledger is written one batch at a time) then only splices the
    ids in and chains the hashes. The documents hold the pending id (hashing.PENDING_ID)
    exactly once; each is kept as the text before it and the text after it. The drafts are
    never modified: a batch that the database refuses is evaluated again."""

    new: NewTransaction
    memento: tuple[str, str]
    log: tuple[str, str]
    event: tuple[str, str]
    postings: str
    metadata: str
    sources: str
    destinations: str
    inserted_at: str
    timestamp: str
    date: str


def texts_for(ledger: str, new: NewTransaction) -> Texts:
    log_draft = new.log
    date = format_time(log_draft.date)
    envelope = event_envelope(APP, new.event.type, new.event.payload, ledger=ledger,
                              date=log_draft.date)
    return Texts(
        new=new,
        memento=split_pending_id(log_memento(log_draft.type, log_draft.data, date,
                                             log_draft.idempotency_key)),
        log=split_pending_id(dumps(log_draft.data)),
        event=split_pending_id(dumps(envelope)),
        postings=dumps(log_draft.data["transaction"]["postings"]),
        metadata=dumps(new.metadata),
        sources=" ".join(sorted({p.source for p in new.postings})),
        destinations=" ".join(sorted({p.destination for p in new.postings})),
        inserted_at=format_time(new.inserted_at), timestamp=format_time(new.timestamp),
        date=date,
    )


class _Batch:
    """Evaluation (module docstring) and the arrays of WRITE_SQL. `rows` is the locked state
    in LOCKED mode; None in OPTIMISTIC mode, where balance checks go to the statement."""

    def __init__(self, ledger: str, head: LedgerHead, rows: dict[tuple[str, str], _Row] | None,
                 used_refs: set[str], known_logs: dict[str, Log],
                 stamp: datetime | None) -> None:
        self.ledger = ledger
        self.stamp = stamp  # the latest insertion date given so far
        self.start = LedgerHead(head.tx_id, head.log_id, head.hash)
        self.head = head
        self.rows = rows
        self.used_refs = used_refs
        self.known_logs = known_logs
        self.keys_seen: set[str] = set()
        self.pairs: dict[tuple[str, str], _Pair] = {}
        self.accepted: list[_Accepted] = []
        self.checks: list[tuple[str, str, int, int, int]] = []  # addr, asset, in, out, required
        self.tx_rows: list[list[Any]] = []
        self.move_rows: list[list[Any]] = []
        self.move_running: list[tuple[str, str, int, int]] = []
        self.log_rows: list[list[Any]] = []
        self.event_rows: list[list[Any]] = []
        # address -> [metadata (merged in order), first usage, inserted at, updated at]
        self.accounts: dict[str, list[Any]] = {}

    def evaluate(self, group: FastGroup) -> list[SubmitOutcome]:
        outcomes: list[SubmitOutcome] = []
        stop: SubmitOutcome | None = None
        texts = group.texts or [None] * len(group.items)
        for spec, spec_texts in zip(group.items, texts, strict=True):
            if stop is not None:
                outcomes.append(stop)
                continue
            outcome = self._one(spec, spec_texts)
            outcomes.append(outcome)
            if outcome.deferred:
                stop = outcome
            elif outcome.error is not None and group.stop_on_failure:
                stop = SubmitOutcome(error=DomainError(
                    "context canceled: an earlier element failed"))
        return outcomes

    def _one(self, spec: TransactionSpec, texts: Texts | None) -> SubmitOutcome:
        key = spec.idempotency_key
        if key is not None:
            if key in self.keys_seen:
                return SubmitOutcome(deferred=True)  # its twin's outcome decides: replay path
            known = self.known_logs.get(key)
            if known is not None:
                return SubmitOutcome(existing_log=known)
        if spec.reference is not None and spec.reference in self.used_refs:
            return SubmitOutcome(error=ReferenceConflictError(spec.reference))
        rows = self.rows
        # Dates: this writer's insertion dates never go back, and a transaction without a client
        # timestamp is dated with its insertion date; so only a client's timestamp (its own, or
        # an earlier one in the future) can make a transaction back-dated.
        now = spec.requested_at
        if self.stamp is not None and self.stamp > now:
            now = self.stamp
        timestamp = spec.timestamp or now
        for change in spec.plan.changes:
            pair = self.pairs.get((change.address, change.asset))
            if pair is not None and pair.max_ts is not None and pair.max_ts > timestamp:
                return SubmitOutcome(deferred=True)
            if rows is not None:
                led = rows[(change.address, change.asset)].last_effective_date
                if led is not None and led > timestamp:
                    return SubmitOutcome(deferred=True)
        if rows is not None:
            for change in spec.plan.changes:
                if change.required_balance is None:
                    continue
                row = rows[(change.address, change.asset)]
                short = InsufficientFundError.check(change.address, change.asset,
                                                    row.input - row.output,
                                                    change.required_balance)
                if short is not None:
                    return SubmitOutcome(error=short)
        new = spec.dated(now)
        self.stamp = now
        if texts is None or texts.new is not new:  # dated otherwise than when submitted
            texts = texts_for(self.ledger, new)
        # Accepted: apply it.
        if key is not None:
            self.keys_seen.add(key)
        if new.reference is not None:
            self.used_refs.add(new.reference)
        accepted = _Accepted(SubmitOutcome())
        for change in new.plan.changes:
            pair_key = (change.address, change.asset)
            pair = self.pairs.get(pair_key)
            if pair is None:
                pair = self.pairs[pair_key] = _Pair()
            if change.required_balance is not None and rows is None:
                self.checks.append((change.address, change.asset, pair.d_in, pair.d_out,
                                    change.required_balance))
            pair.d_in += change.input
            pair.d_out += change.output
            if pair.min_ts is None or new.timestamp < pair.min_ts:
                pair.min_ts = new.timestamp
            if pair.max_ts is None or new.timestamp > pair.max_ts:
                pair.max_ts = new.timestamp
            accepted.after.append((change.address, change.asset, pair.d_in, pair.d_out))
            if rows is not None:
                row = rows[pair_key]
                row.input += change.input
                row.output += change.output
                row.last_effective_date = new.timestamp
        self.head.tx_id += 1
        self.head.log_id += 1
        self._record(new, self.head.tx_id, texts)
        accepted.outcome.transaction = Transaction(
            id=self.head.tx_id, postings=new.postings, metadata=new.metadata,
            timestamp=new.timestamp, inserted_at=new.inserted_at, updated_at=new.inserted_at,
            reference=new.reference, template=new.template,
        )
        accepted.outcome.log_id = self.head.log_id
        self.accepted.append(accepted)
        return accepted.outcome

    def _record(self, new: NewTransaction, tx_id: int, t: Texts) -> None:
        self.head.hash = chain_hash(self.head.hash, f"{t.memento[0]}{tx_id}{t.memento[1]}")
        ins, ts = t.inserted_at, t.timestamp
        self.tx_rows.append([
            tx_id, ts, ins, new.reference, Fragment(t.postings), Fragment(t.metadata),
            t.sources, t.destinations, new.template,
        ])
        for move in new.plan.moves:
            pair = self.pairs[(move.address, move.asset)]
            # running sums after this transaction, minus this transaction's later moves
            self.move_rows.append([tx_id, move.address, move.asset, str(move.amount),
                                   move.is_source, ins, ts])
            self.move_running.append((move.address, move.asset, pair.d_in - move.later_input,
                                      pair.d_out - move.later_output))

        for address in {m.address for m in new.plan.moves} | set(new.account_metadata):
            md = new.account_metadata.get(address)
            entry = self.accounts.get(address)
            if entry is None:
                self.accounts[address] = [dict(md or {}), new.timestamp, new.inserted_at,
                                          new.inserted_at]
                continue
            if md:
                entry[0].update(md)
                entry[3] = new.inserted_at
            entry[1] = min(entry[1], new.timestamp)

        log_draft = new.log
        self.log_rows.append([
            self.head.log_id, str(log_draft.type), Fragment(f"{t.log[0]}{tx_id}{t.log[1]}"),
            t.date, b64encode(self.head.hash).decode(),
            log_draft.idempotency_key, log_draft.idempotency_hash,
        ])
        self.event_rows.append([new.event.type, Fragment(f"{t.event[0]}{tx_id}{t.event[1]}")])

    def write_args(self) -> list[Any]:
        total = self.pairs
        keys = sorted(total)
        vols = [[a, s, str(total[(a, s)].d_in), str(total[(a, s)].d_out),
                 format_time(total[(a, s)].min_ts), format_time(total[(a, s)].max_ts)]
                for a, s in keys]
        # What each check's row and each move's row gain after them, to the end of the batch.
        checks = [[a, s, str(total[(a, s)].d_in - i - (total[(a, s)].d_out - o)), str(req)]
                  for a, s, i, o, req in self.checks]
        for row, (a, s, i, o) in zip(self.move_rows, self.move_running, strict=True):
            row += [str(total[(a, s)].d_in - i), str(total[(a, s)].d_out - o)]
        accounts = [[a, Fragment(dumps(e[0])), format_time(e[1]), format_time(e[2]),
                     format_time(e[3])] for a, e in sorted(self.accounts.items())]
        return [
            self.ledger, orjson.dumps(vols).decode(), orjson.dumps(checks).decode(),
            self.head.tx_id, self.head.log_id, self.head.hash,
            self.start.tx_id, self.start.log_id,
            orjson.dumps(self.tx_rows).decode(), orjson.dumps(self.move_rows).decode(),
            orjson.dumps(accounts).decode(),
            orjson.dumps(self.log_rows).decode(), orjson.dumps(self.event_rows).decode(),
        ]

    def finish(self, finals: list[asyncpg.Record]) -> None:
        """Post-commit volumes of each accepted transaction, from the rows' final values."""
        final = {(r["address"], r["asset"]): (int(r["input"]), int(r["output"])) for r in finals}
        total = self.pairs
        for accepted in self.accepted:
            pcv: AggregatedVolumes = {}
            for address, asset, i, o in accepted.after:
                pair = total[(address, asset)]
                fin_in, fin_out = final[(address, asset)]
                pcv.setdefault(address, {})[asset] = Volumes(fin_in - (pair.d_in - i),
                                                             fin_out - (pair.d_out - o))
            tx = accepted.outcome.transaction
            assert tx is not None
            tx.post_commit_volumes = pcv
            tx.post_commit_effective_volumes = pcv


class BatchWriter:
    """Writes batches of one ledger (module docstring), remembering the ledger head between
    them. One writer per ledger per process, used by one batch at a time."""

    def __init__(self, ledger: str) -> None:
        self.ledger = ledger
        self.head: LedgerHead | None = None
        self.stamp: datetime | None = None
        # batches written in one statement / written locked / optimistic statements refused
        self.counts: Counter[str] = Counter()
        # batches by their number of transactions (bucketed by the metrics endpoint at scrape)
        self.sizes: Counter[int] = Counter()

    def forget_head(self) -> None:
        """Another write path of this process wrote to the ledger."""
        self.head = None

    async def write(self, conn: asyncpg.Connection, groups: Sequence[FastGroup]
                    ) -> list[list[SubmitOutcome]]:
        """Returns once written and durable; raises BatchOutcomeUnknown if the connection
        failed when the batch may have committed; any other error: nothing was written."""
        self.sizes[sum(len(g.items) for g in groups)] += 1
        optimistic = self._evaluate_optimistic(groups)
        if optimistic is not None:
            batch, outcomes = optimistic
            self.head = None  # unknown until the statement says
            pid = pid_of(conn)
            try:
                finals = await conn.fetch(WRITE_SQL, *batch.write_args(),
                                          timeout=STATEMENT_TIMEOUT_S)
            except Exception as exc:
                if is_connection_failure(exc) or isinstance(exc, TimeoutError):
                    raise _unknown(conn, pid, batch, outcomes, exc) from exc
                if not isinstance(exc, asyncpg.PostgresError) or not getattr(
                        exc, "sqlstate", "").startswith(("LF", "23", "40")):
                    raise
                # Another writer, a back-dated row, a failing balance, a reference in use:
                # the locked way sorts out who gets what.
                log.debug("optimistic batch refused (%s), locking", exc)
                self.counts["refused"] += 1
            else:
                batch.finish(finals)
                self.head, self.stamp = batch.head, batch.stamp
                self.counts["optimistic"] += 1
                return outcomes
        return await self._write_locked(conn, groups)

    def _evaluate_optimistic(self, groups: Sequence[FastGroup]
                             ) -> tuple[_Batch, list[list[SubmitOutcome]]] | None:
        """The OPTIMISTIC batch, evaluated from the remembered head; None when the batch must
        go LOCKED (head unknown, idempotency keys to look up, a reference twice in it)."""
        head = self.head
        if head is None or any(n.idempotency_key is not None
                               for g in groups for n in g.items):
            return None
        batch = _Batch(self.ledger, LedgerHead(head.tx_id, head.log_id, head.hash), None,
                       set(), {}, self.stamp)
        outcomes = [batch.evaluate(g) for g in groups]
        if not batch.accepted or any(o.error is not None or o.deferred
                                     for r in outcomes for o in r):
            return None
        return batch, outcomes

    async def _write_locked(self, conn: asyncpg.Connection, groups: Sequence[FastGroup]
                            ) -> list[list[SubmitOutcome]]:
        self.head = None
        pid = pid_of(conn)
        tx = conn.transaction()
        try:
            await tx.start()
            outcomes, batch = await self._locked(conn, groups)
        except BaseException as exc:
            try:
                await tx.rollback()
            except Exception as rollback_exc:  # a dead connection rolls back by itself
                log.debug("rollback failed: %s", rollback_exc)
            if isinstance(exc, _Refused):
                return exc.outcomes
            if is_connection_failure(exc) or isinstance(exc, TimeoutError):
                # no COMMIT was sent: nothing written, safe to run again
                raise TransientWriteError(f"connection failed before COMMIT: {exc}") from exc
            raise
        try:
            await tx.commit()
        except Exception as exc:
            if is_connection_failure(exc) or isinstance(exc, TimeoutError):
                raise _unknown(conn, pid, batch, outcomes, exc) from exc
            raise
        self.head, self.stamp = batch.head, batch.stamp
        self.counts["locked"] += 1
        return outcomes

    async def recovered(self, conn: asyncpg.Connection, unknown: BatchOutcomeUnknown) -> None:
        """Completes the answers of a batch read back as committed: each (account, asset)'s
        final volumes are those of the batch's last move on it (no later batch can have
        changed a move's post-commit volumes)."""
        batch = unknown.batch
        finals = await conn.fetch(_BATCH_FINALS_SQL, self.ledger, batch.start.tx_id + 1,
                                  batch.head.tx_id)
        batch.finish(finals)

    async def _locked(self, conn: asyncpg.Connection, groups: Sequence[FastGroup]
                      ) -> tuple[list[list[SubmitOutcome]], _Batch]:
        ledger = self.ledger
        pairs = sorted({(c.address, c.asset) for g in groups for n in g.items
                        for c in n.plan.changes})
        records = await conn.fetch(LOCK_SQL, ledger, [p[0] for p in pairs],
                                   [p[1] for p in pairs])
        head = records[0] if records else None
        if head is None or head["last_transaction_id"] is None:
            missing = SubmitOutcome(error=LedgerNotFoundError(ledger))
            raise _Refused([[missing for _ in g.items] for g in groups])
        rows = {p: _Row(0, 0, None) for p in pairs}  # a row not there yet starts at zero
        for r in records:
            if r["address"] is not None:
                rows[(r["address"], r["asset"])] = _Row(int(r["input"]), int(r["output"]),
                                                         r["last_effective_date"])
        refs = [n.reference for g in groups for n in g.items if n.reference is not None]
        used = ({r["reference"] for r in await conn.fetch(USED_REFERENCES_SQL, ledger, refs)}
                if refs else set())
        keys = [n.idempotency_key for g in groups for n in g.items
                if n.idempotency_key is not None]
        known = await find_logs_by_idempotency_keys(conn, ledger, keys) if keys else {}
        batch = _Batch(ledger, LedgerHead(head["last_transaction_id"], head["last_log_id"],
                                          head["last_log_hash"]), rows, used, known, self.stamp)
        outcomes = [batch.evaluate(g) for g in groups]
        if not batch.accepted:
            raise _Refused(outcomes)
        batch.finish(await conn.fetch(WRITE_SQL, *batch.write_args(),
                                      timeout=STATEMENT_TIMEOUT_S))
        return outcomes, batch


class BatchOutcomeUnknown(OutcomeUnknown):
    """The batch may have committed; `outcomes` are its answers if it did."""

    def __init__(self, attempt: Attempt, cause: BaseException, batch: _Batch,
                 outcomes: list[list[SubmitOutcome]]) -> None:
        super().__init__(attempt, cause)
        self.batch = batch
        self.outcomes = outcomes


def _unknown(conn: asyncpg.Connection, pid: int, batch: _Batch,
             outcomes: list[list[SubmitOutcome]], cause: BaseException) -> BatchOutcomeUnknown:
    # The connection must not serve anyone again (after a timeout it is still open, with the
    # statement possibly running): the read-back ends its server process.
    try:
        conn.terminate()
    except Exception as exc:
        log.debug("terminate failed: %s", exc)
    # The last log's hash chains over the whole batch: if it is there, all of it is.
    last = {batch.head.log_id: batch.head.hash} if batch.head.hash is not None else {}
    return BatchOutcomeUnknown(Attempt(batch.ledger, pid, last), cause, batch, outcomes)


class _Refused(Exception):
    """Nothing to write: roll back."""

    def __init__(self, outcomes: list[list[SubmitOutcome]]) -> None:
        super().__init__("nothing to write")
        self.outcomes = outcomes
