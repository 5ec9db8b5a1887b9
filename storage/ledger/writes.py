"""The ledger write path on raw asyncpg.

A create-transaction from postings is ONE statement in autocommit: it locks the ledger row,
upserts the touched volume rows in (address, asset) order (taking their row locks), checks each
source's balance against the locked row, then bumps the ledger's counters and hash chain and
inserts the transaction, moves, accounts, log and outbox event. (Most create-transactions go the
set-based way instead, storage/ledger/batch_write.py; this path is for the rest.) No lock is
held across a client round trip, so writers queue only for the statement's own execution.

Everything else (Numscript reading balances, reverts, dryRun, atomic bulks, and back-dated
transactions, which must rewrite the effective volumes of later moves) runs the same statement
inside an explicit transaction. Lock order is the same everywhere: ledger row, transaction row,
volume rows (sorted), account rows (LOCK_LEDGER_SQL says why the ledger row comes first).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg

from domain.availability import DatabaseUnavailableError
from domain.errors import ConflictError
from domain.ledger.errors import (
    ErrorCode,
    InsufficientFundError,
    LedgerNotFoundError,
    ReferenceConflictError,
    TransientWriteError,
)
from domain.ledger.hashing import format_time, log_memento, split_pending_id
from domain.ledger.models import (
    AggregatedVolumes,
    Log,
    Metadata,
    Posting,
    TargetType,
    Transaction,
    Volumes,
)
from domain.ledger.ports import EventDraft, LogDraft, NewTransaction
from storage.failures import is_connection_failure
from storage.ledger.jsonutil import dumps, loads
from storage.ledger.outcome import Attempt, OutcomeUnknown, pid_of
from storage.outbox import event_envelope

APP = "ledger"
log = logging.getLogger(__name__)

# An account seen again keeps its earliest first usage and merges the metadata it is given
# (the updated date moves only when the metadata does). Shared with the set-based path.
ACCOUNT_UPSERT_CONFLICT = """    ON CONFLICT (ledger, address) DO UPDATE
    SET first_usage = least(a.first_usage, excluded.first_usage),
        metadata = a.metadata || excluded.metadata,
        updated_at = CASE WHEN excluded.metadata = '{}'::jsonb THEN a.updated_at
                          ELSE excluded.updated_at END
    WHERE a.first_usage > excluded.first_usage OR excluded.metadata <> '{}'::jsonb
"""



def funds_guard(address: str, asset: str, balance: str, required: str) -> str:
    """The SQL side of the one insufficient-funds rule (InsufficientFundError.check): a CASE
    branch that aborts the statement, naming what `_business_error` turns into the one
    message. Both write statements (this module's and storage/ledger/batch_write.py's) use it.
    A NULL `required` (no check) never fails."""
    return (f"WHEN {balance} < {required} THEN ledgerflow_fail('{ErrorCode.INSUFFICIENT_FUND}', "
            f"concat_ws(' ', {address}, {asset}, {balance}, {required}))")


INSERT_TRANSACTION_SQL = f"""
WITH lock AS (
    SELECT 1 FROM ledgers WHERE name = $1 FOR UPDATE
),
vol AS (
    INSERT INTO accounts_volumes AS v (ledger, address, asset, input, output, last_effective_date)
    SELECT $1, u.address, u.asset, u.input, u.output, $2
    FROM unnest($3::text[], $4::text[], $5::numeric[], $6::numeric[])
         AS u(address, asset, input, output)
    WHERE (SELECT count(*) FROM lock) >= 0
    ORDER BY u.address, u.asset
    ON CONFLICT (ledger, address, asset) DO UPDATE
    SET input = v.input + excluded.input,
        output = v.output + excluded.output,
        last_effective_date = greatest(v.last_effective_date, excluded.last_effective_date)
    RETURNING v.address, v.asset, v.input, v.output, v.last_effective_date
),
guard AS (
    SELECT bool_and(CASE
        {funds_guard("vol.address", "vol.asset", "(vol.input - vol.output) - (r.input - r.output)",
                     "r.required")}
        WHEN NOT $7::bool AND vol.last_effective_date > $2
        THEN ledgerflow_fail('BACKDATED', vol.address)
        ELSE true END) AS ok
    FROM vol
    JOIN unnest($3::text[], $4::text[], $5::numeric[], $6::numeric[], $8::numeric[])
         AS r(address, asset, input, output, required)
      ON r.address = vol.address AND r.asset = vol.asset
),
l AS (
    UPDATE ledgers
    SET last_transaction_id = last_transaction_id + 1,
        last_log_id = last_log_id + 1,
        last_log_hash = ledgerflow_log_hash(
            last_log_hash, $9::text || (last_transaction_id + 1)::text || $10::text)
    WHERE name = $1 AND deleted_at IS NULL AND (SELECT ok FROM guard)
    RETURNING last_transaction_id AS tx_id, last_log_id AS log_id, last_log_hash AS hash
),
tx AS (
    INSERT INTO transactions (ledger, id, "timestamp", inserted_at, updated_at, reference,
                              postings, metadata, sources, destinations, template)
    SELECT $1, l.tx_id, $2, $11, $11, $12, $13::jsonb, $14::jsonb, $15::text[], $16::text[],
           $34::text
    FROM l
),
rv AS (
    UPDATE transactions SET reverted_at = $11, updated_at = $11
    WHERE ledger = $1 AND id = $17 AND EXISTS (SELECT 1 FROM l)
),
mv AS (
    INSERT INTO moves (ledger, transaction_id, account_address, account_address_array, asset,
                       amount, is_source, insertion_date, effective_date,
                       post_commit_volumes_input, post_commit_volumes_output,
                       post_commit_effective_volumes_input, post_commit_effective_volumes_output)
    SELECT $1, l.tx_id, m.address, string_to_array(m.address, ':'), m.asset, m.amount,
           m.is_source, $11, $2,
           vol.input - m.later_in, vol.output - m.later_out,
           vol.input - m.later_in, vol.output - m.later_out
    FROM l
    CROSS JOIN unnest($18::text[], $19::text[], $20::numeric[], $21::bool[], $22::numeric[],
                      $23::numeric[]) WITH ORDINALITY
         AS m(address, asset, amount, is_source, later_in, later_out, ord)
    JOIN vol ON vol.address = m.address AND vol.asset = m.asset
    ORDER BY m.ord
),
acc AS (
    INSERT INTO accounts AS a (ledger, address, address_array, metadata, first_usage,
                               insertion_date, updated_at)
    SELECT $1, u.address, string_to_array(u.address, ':'), u.metadata::jsonb, $2, $11, $11
    FROM l CROSS JOIN unnest($24::text[], $25::text[]) AS u(address, metadata)
    ORDER BY u.address
{ACCOUNT_UPSERT_CONFLICT}),
lg AS (
    INSERT INTO logs (ledger, id, type, data, date, hash, idempotency_key, idempotency_hash)
    SELECT $1, l.log_id, $26, jsonb_set($27::jsonb, $28::text[], to_jsonb(l.tx_id)), $11,
           l.hash, $29, $30
    FROM l
),
ev AS (
    INSERT INTO events_outbox (app, type, envelope)
    SELECT 'ledger', $31, jsonb_set($32::jsonb, $33::text[], to_jsonb(l.tx_id))
    FROM l
)
SELECT coalesce(l.tx_id, ledgerflow_fail('{ErrorCode.LEDGER_NOT_FOUND}', $1)::int) AS tx_id,
       l.log_id,
       l.hash, vol.address, vol.asset, vol.input, vol.output, vol.last_effective_date
FROM vol LEFT JOIN l ON true
"""

# Back-dated transaction: its moves' effective volumes start from the last move at or before
# its date (not from the current volumes), and every later move of the same account/asset
# gains its change. Runs in the same database transaction, still holding the volume locks.
FIX_EFFECTIVE_VOLUMES_SQL = """
WITH p AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::numeric[], $5::numeric[],
                         $6::numeric[], $7::numeric[])
        AS p(address, asset, before_in, before_out, delta_in, delta_out)
),
b AS (
    SELECT p.*, coalesce(x.i, 0) AS base_in, coalesce(x.o, 0) AS base_out
    FROM p LEFT JOIN LATERAL (
        SELECT m.post_commit_effective_volumes_input AS i,
               m.post_commit_effective_volumes_output AS o
        FROM moves m
        WHERE m.ledger = $1 AND m.account_address = p.address AND m.asset = p.asset
          AND m.effective_date <= $8 AND m.transaction_id <> $9
        ORDER BY m.effective_date DESC, m.seq DESC
        LIMIT 1
    ) x ON true
),
ours AS (
    UPDATE moves m
    SET post_commit_effective_volumes_input = b.base_in + m.post_commit_volumes_input - b.before_in,
        post_commit_effective_volumes_output =
            b.base_out + m.post_commit_volumes_output - b.before_out
    FROM b
    WHERE m.ledger = $1 AND m.transaction_id = $9
      AND m.account_address = b.address AND m.asset = b.asset
    RETURNING m.seq, m.account_address, m.asset, m.post_commit_effective_volumes_input AS i,
              m.post_commit_effective_volumes_output AS o
),
later AS (
    UPDATE moves m
    SET post_commit_effective_volumes_input = m.post_commit_effective_volumes_input + b.delta_in,
        post_commit_effective_volumes_output =
            m.post_commit_effective_volumes_output + b.delta_out
    FROM b
    WHERE m.ledger = $1 AND m.account_address = b.address AND m.asset = b.asset
      AND m.effective_date > $8 AND m.transaction_id <> $9
)
SELECT account_address, asset, i, o FROM ours ORDER BY seq
"""

# Every write transaction of a ledger takes the ledger row first: it is the one row they all
# update (ids, log hash chain), so it serialises them anyway, and taking it first gives every
# path one lock order (ledger, transaction row, volume rows sorted, accounts), so the set-based
# path (storage/ledger/batch_write.py) and this one can run side by side, in one process or
# several, and queue on this row instead of deadlocking on volume rows.
LOCK_LEDGER_SQL = "SELECT 1 FROM ledgers WHERE name = $1 FOR UPDATE"

LOCK_BALANCES_SQL = """
SELECT address, asset, input - output AS balance
FROM accounts_volumes
WHERE ledger = $1 AND (address, asset) IN (SELECT * FROM unnest($2::text[], $3::text[]))
ORDER BY address, asset
FOR UPDATE
"""

LOCK_WILDCARD_BALANCES_SQL = """
SELECT v.address, v.asset, v.input - v.output AS balance
FROM accounts_volumes v JOIN unnest($2::text[], $3::text[]) AS w(address, base)
  ON v.address = w.address AND (v.asset = w.base OR v.asset LIKE w.base || '/%')
WHERE v.ledger = $1
ORDER BY v.address, v.asset
FOR UPDATE OF v
"""

ACCOUNTS_METADATA_SQL = """
SELECT address, metadata::text FROM accounts WHERE ledger = $1 AND address = ANY($2::text[])
"""

LOCK_TRANSACTION_SQL = """
SELECT id, postings::text, metadata::text, "timestamp", inserted_at, updated_at, reference,
       reverted_at
FROM transactions WHERE ledger = $1 AND id = $2
FOR UPDATE
"""

FIND_LOGS_SQL = """
SELECT id, type, data::text, date, hash, idempotency_key, idempotency_hash
FROM logs WHERE ledger = $1 AND idempotency_key = ANY($2::text[])
"""


async def find_logs_by_idempotency_keys(conn: asyncpg.Connection, ledger: str,
                                        keys: list[str]) -> dict[str, Log]:
    """The logs already written under these idempotency keys, by key."""
    return {
        row["idempotency_key"]: Log(
            id=row["id"], type=row["type"], data=loads(row["data"]), date=row["date"],
            hash=row["hash"], idempotency_key=row["idempotency_key"],
            idempotency_hash=row["idempotency_hash"])
        for row in await conn.fetch(FIND_LOGS_SQL, ledger, keys)
    }

# Metadata writes: the ledger row first (see LOCK_LEDGER_SQL), then the target, the ledger's
# log counter and hash, the log and the event.
_LOG_TAIL = """
lg AS (
    INSERT INTO logs (ledger, id, type, data, date, hash, idempotency_key, idempotency_hash)
    SELECT $1, l.log_id, $4, $5::jsonb, $6, l.hash, $7, $8 FROM l
),
ev AS (
    INSERT INTO events_outbox (app, type, envelope) SELECT 'ledger', $9, $10::jsonb FROM l
)
SELECT l.log_id, l.hash FROM l
"""
_LEDGER_LOG = """
    UPDATE ledgers
    SET last_log_id = last_log_id + 1,
        last_log_hash = ledgerflow_log_hash(last_log_hash, $11::text)
    WHERE name = $1 AND deleted_at IS NULL {condition}
    RETURNING last_log_id AS log_id, last_log_hash AS hash
"""
SAVE_ACCOUNT_METADATA_SQL = f"""
WITH l AS ({_LEDGER_LOG.format(condition="")}),
target AS (
    INSERT INTO accounts AS a (ledger, address, address_array, metadata, first_usage,
                               insertion_date, updated_at)
    SELECT $1, $2::text, string_to_array($2::text, ':'), $3::jsonb, $6, $6, $6 FROM l
    ON CONFLICT (ledger, address) DO UPDATE
    SET metadata = a.metadata || excluded.metadata, updated_at = excluded.updated_at
),
{_LOG_TAIL}"""
SAVE_TRANSACTION_METADATA_SQL = f"""
WITH lock AS ({LOCK_LEDGER_SQL}),
target AS (
    UPDATE transactions SET metadata = metadata || $3::jsonb, updated_at = $6
    WHERE ledger = $1 AND id = $2::text::bigint AND EXISTS (SELECT 1 FROM lock)
    RETURNING id
),
l AS ({_LEDGER_LOG.format(condition="AND EXISTS (SELECT 1 FROM target)")}),
{_LOG_TAIL}"""
DELETE_ACCOUNT_METADATA_SQL = f"""
WITH l AS ({_LEDGER_LOG.format(condition="")}),
target AS (
    UPDATE accounts SET metadata = metadata - $3::text, updated_at = $6
    WHERE ledger = $1 AND address = $2::text AND EXISTS (SELECT 1 FROM l)
),
{_LOG_TAIL}"""
DELETE_TRANSACTION_METADATA_SQL = f"""
WITH lock AS ({LOCK_LEDGER_SQL}),
target AS (
    UPDATE transactions SET metadata = metadata - $3::text, updated_at = $6
    WHERE ledger = $1 AND id = $2::text::bigint AND metadata ? $3::text
      AND EXISTS (SELECT 1 FROM lock)
    RETURNING id
),
l AS ({_LEDGER_LOG.format(condition="AND EXISTS (SELECT 1 FROM target)")}),
{_LOG_TAIL}"""

_TRANSIENT = (asyncpg.exceptions.DeadlockDetectedError,
              asyncpg.exceptions.SerializationError)
_BACKDATED = "BACKDATED"


def _business_error(exc: asyncpg.PostgresError, ledger: str) -> Exception:
    """Translate a database error into the domain's vocabulary."""
    if isinstance(exc, _TRANSIENT):
        return TransientWriteError(str(exc))
    if getattr(exc, "sqlstate", None) == "LF001":
        code = str(getattr(exc, "message", ""))
        detail = str(getattr(exc, "detail", "") or "")
        if code == ErrorCode.INSUFFICIENT_FUND:
            address, asset, balance, required = detail.split(" ")
            error = InsufficientFundError.check(address, asset, int(Decimal(balance)),
                                                int(Decimal(required)))
            if error is not None:
                return error
        if code == ErrorCode.LEDGER_NOT_FOUND:
            return LedgerNotFoundError(ledger)
    if isinstance(exc, asyncpg.exceptions.UniqueViolationError):
        constraint = getattr(exc, "constraint_name", "") or ""
        if "idempotency" in constraint:
            return ConflictError("a write with this idempotency key is in progress")
    return exc


def _is_backdated(exc: asyncpg.PostgresError) -> bool:
    return getattr(exc, "sqlstate", None) == "LF001" and getattr(exc, "message", "") == _BACKDATED


def _int(value: Decimal | int) -> int:
    return int(value)


_BATCH_TRANSACTION = object()


class PgLedgerWriter:
    """One unit of work on one ledger over one asyncpg connection (see the module docstring).
    A transaction is opened lazily, only when something needs it."""

    def __init__(self, conn: asyncpg.Connection, ledger: str, *, dry_run: bool,
                 atomic: bool, in_transaction: bool = False,
                 written: dict[int, bytes] | None = None) -> None:
        self.conn = conn
        self.ledger = ledger
        self.dry_run = dry_run
        self.atomic = atomic
        # Inside a group-commit batch the transaction (and this write's savepoint) belongs to
        # the batch: this writer neither opens nor ends it.
        self._tx: Any = _BATCH_TRANSACTION if in_transaction else None
        self._rollback_only = False
        # The logs this unit of work wrote (id -> hash), to read back if its COMMIT goes
        # unanswered (storage/ledger/outcome.py); a batch passes its own, shared by its turns.
        self.written: dict[int, bytes] = {} if written is None else written

    def _connection_failed(self, exc: BaseException, draft: LogDraft | None = None
                           ) -> Exception:
        """What a failed connection means for this unit of work. An autocommit write statement
        may have committed (OutcomeUnknown, with its draft to look for); anything inside an
        open transaction before its COMMIT did not (TransientWriteError: safe to run again);
        a read in autocommit wrote nothing."""
        self._discard()
        if self._tx is None:
            if draft is not None:
                return OutcomeUnknown(Attempt(self.ledger, pid_of(self.conn), drafts=[draft]),
                                      exc)
            return DatabaseUnavailableError()
        return TransientWriteError(f"connection failed before COMMIT: {exc}")

    # --- transaction control ---------------------------------------------------------------

    async def begin(self) -> None:
        if self._tx is None:
            try:
                # Inside the try: on a connection lost since it was handed out, even making
                # the transaction object fails (storage/failures.py, "released back").
                self._tx = self.conn.transaction()
                await self._tx.start()
                await self.conn.execute(LOCK_LEDGER_SQL, self.ledger)
            except Exception as exc:
                if is_connection_failure(exc):
                    raise self._connection_failed(exc) from exc
                raise

    def _discard(self) -> None:
        """After a statement timeout the connection is still open, its statement perhaps still
        running: nobody may use it again (a read-back ends its server process)."""
        try:
            self.conn.terminate()
        except Exception as exc:
            log.debug("terminate failed: %s", exc)

    async def finish(self, failed: bool) -> None:
        if self._tx is None or self._tx is _BATCH_TRANSACTION:
            return
        tx, self._tx = self._tx, None
        if failed or self.dry_run or self._rollback_only:
            try:
                await tx.rollback()
            except Exception as exc:
                if not is_connection_failure(exc):
                    raise
                # A dead connection rolls the transaction back by itself; the error that
                # brought us here is the one to report.
            return
        pid = pid_of(self.conn)
        try:
            await tx.commit()
        except Exception as exc:
            if is_connection_failure(exc):
                self._discard()
                raise OutcomeUnknown(Attempt(self.ledger, pid, dict(self.written)),
                                     exc) from exc
            if isinstance(exc, asyncpg.PostgresError):
                raise _business_error(exc, self.ledger) from exc
            raise

    def rollback_only(self) -> None:
        self._rollback_only = True

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        await self.begin()
        async with self.conn.transaction():
            yield

    async def _run(self, sql: str, *args: Any, draft: LogDraft | None = None
                   ) -> list[asyncpg.Record]:
        try:
            return await self.conn.fetch(sql, *args)
        except Exception as exc:
            if is_connection_failure(exc):
                raise self._connection_failed(exc, draft) from exc
            if isinstance(exc, asyncpg.PostgresError):
                raise _business_error(exc, self.ledger) from exc
            raise

    # --- reads inside the unit of work ------------------------------------------------------

    async def find_log_by_idempotency_key(self, key: str) -> Log | None:
        try:
            found = await find_logs_by_idempotency_keys(self.conn, self.ledger, [key])
        except Exception as exc:
            if is_connection_failure(exc):
                raise self._connection_failed(exc) from exc
            raise
        return found.get(key)

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        """The Numscript store: current balances, locked until the end of the unit of work.
        An asset `BASE/*` (asset scaling) stands for every row of BASE and BASE/<decimals>."""
        await self.begin()
        exact = sorted((a, s) for a, assets in query.items() for s in assets
                       if not s.endswith("/*"))
        wildcard = sorted((a, s[:-2]) for a, assets in query.items() for s in assets
                          if s.endswith("/*"))
        out: dict[str, dict[str, int]] = {
            a: {s: 0 for s in assets if not s.endswith("/*")} for a, assets in query.items()
        }
        for sql, pairs in ((LOCK_BALANCES_SQL, exact), (LOCK_WILDCARD_BALANCES_SQL, wildcard)):
            if pairs:
                rows = await self._run(sql, self.ledger, [p[0] for p in pairs],
                                       [p[1] for p in pairs])
                for row in rows:
                    out[row["address"]][row["asset"]] = _int(row["balance"])
        return out

    async def get_accounts_metadata(self, query: dict[str, set[str]]
                                    ) -> dict[str, dict[str, str]]:
        rows = await self._run(ACCOUNTS_METADATA_SQL, self.ledger, sorted(query))
        found = {row["address"]: loads(row["metadata"]) for row in rows}
        return {a: dict(found.get(a, {})) for a in query}

    async def lock_transaction(self, transaction_id: int) -> Transaction | None:
        await self.begin()
        rows = await self._run(LOCK_TRANSACTION_SQL, self.ledger, transaction_id)
        if not rows:
            return None
        row = rows[0]
        return Transaction(
            id=row["id"],
            postings=[Posting(p["source"], p["destination"], int(p["amount"]), p["asset"])
                      for p in loads(row["postings"])],
            metadata=loads(row["metadata"]), timestamp=row["timestamp"],
            inserted_at=row["inserted_at"], updated_at=row["updated_at"],
            reference=row["reference"], reverted_at=row["reverted_at"],
        )

    # --- writes ----------------------------------------------------------------------------

    async def insert_transaction(self, new: NewTransaction) -> tuple[Transaction, int]:
        if self._tx is None:
            try:
                rows = await self.conn.fetch(INSERT_TRANSACTION_SQL,
                                             *self._transaction_args(new, False))
                return self._inserted(new, rows, {})
            except Exception as exc:
                if is_connection_failure(exc):
                    raise self._connection_failed(exc, new.log) from exc
                if not isinstance(exc, asyncpg.PostgresError):
                    raise
                if not _is_backdated(exc):
                    raise self._insert_error(exc, new) from exc
            await self.begin()  # back-dated: redo it in a transaction with the fix-up
        try:
            rows = await self.conn.fetch(INSERT_TRANSACTION_SQL, *self._transaction_args(new, True))
        except Exception as exc:
            if is_connection_failure(exc):
                raise self._connection_failed(exc, new.log) from exc
            if not isinstance(exc, asyncpg.PostgresError):
                raise
            raise self._insert_error(exc, new) from exc
        tx_id = rows[0]["tx_id"]
        backdated = [r for r in rows if r["last_effective_date"] > new.timestamp]
        effective: dict[tuple[str, str], tuple[int, int]] = {}
        if backdated:
            changes = {(c.address, c.asset): c for c in new.plan.changes}
            fixed = await self._run(
                FIX_EFFECTIVE_VOLUMES_SQL, self.ledger,
                [r["address"] for r in backdated], [r["asset"] for r in backdated],
                [r["input"] - changes[(r["address"], r["asset"])].input for r in backdated],
                [r["output"] - changes[(r["address"], r["asset"])].output for r in backdated],
                [changes[(r["address"], r["asset"])].input for r in backdated],
                [changes[(r["address"], r["asset"])].output for r in backdated],
                new.timestamp, tx_id,
            )
            for r in fixed:  # in move order: the last one per pair is the transaction's
                effective[(r["account_address"], r["asset"])] = (_int(r["i"]), _int(r["o"]))
        return self._inserted(new, rows, effective)

    def _transaction_args(self, new: NewTransaction, allow_backdated: bool) -> list[Any]:
        plan, log = new.plan, new.log
        memento = log_memento(log.type, log.data, format_time(log.date), log.idempotency_key)
        prefix, suffix = split_pending_id(memento)
        addresses = sorted({m.address for m in plan.moves} | set(new.account_metadata))
        envelope = event_envelope(APP, new.event.type, new.event.payload, ledger=self.ledger,
                                  date=log.date)
        return [
            self.ledger, new.timestamp,                                           # $1 $2
            [c.address for c in plan.changes], [c.asset for c in plan.changes],   # $3 $4
            [c.input for c in plan.changes], [c.output for c in plan.changes],    # $5 $6
            allow_backdated, [c.required_balance for c in plan.changes],          # $7 $8
            prefix, suffix, new.inserted_at, new.reference,                       # $9-$12
            dumps(log.data["transaction"]["postings"]), dumps(new.metadata),      # $13 $14
            sorted({p.source for p in new.postings}),                             # $15
            sorted({p.destination for p in new.postings}),                        # $16
            new.reverts,                                                          # $17
            [m.address for m in plan.moves], [m.asset for m in plan.moves],       # $18 $19
            [m.amount for m in plan.moves], [m.is_source for m in plan.moves],    # $20 $21
            [m.later_input for m in plan.moves], [m.later_output for m in plan.moves],
            addresses, [dumps(new.account_metadata.get(a, {})) for a in addresses],  # $24 $25
            str(log.type), dumps(log.data), log.pending_paths[0],                 # $26-$28
            log.idempotency_key, log.idempotency_hash,                            # $29 $30
            new.event.type, dumps(envelope),                                      # $31 $32
            ["payload", *new.event.pending_paths[0]],                             # $33
            new.template,                                                         # $34
        ]

    def _insert_error(self, exc: asyncpg.PostgresError, new: NewTransaction) -> Exception:
        if (isinstance(exc, asyncpg.exceptions.UniqueViolationError)
                and "reference" in (getattr(exc, "constraint_name", "") or "")):
            return ReferenceConflictError(new.reference or "")
        return _business_error(exc, self.ledger)

    def _inserted(self, new: NewTransaction, rows: list[asyncpg.Record],
                  effective: dict[tuple[str, str], tuple[int, int]]
                  ) -> tuple[Transaction, int]:
        self.written[rows[0]["log_id"]] = bytes(rows[0]["hash"])
        pcv: AggregatedVolumes = {}
        pcev: AggregatedVolumes = {}
        for r in rows:
            address, asset = r["address"], r["asset"]
            volumes = Volumes(_int(r["input"]), _int(r["output"]))
            pcv.setdefault(address, {})[asset] = volumes
            eff = effective.get((address, asset))
            pcev.setdefault(address, {})[asset] = volumes if eff is None else Volumes(*eff)
        tx = Transaction(
            id=rows[0]["tx_id"], postings=new.postings, metadata=new.metadata,
            timestamp=new.timestamp, inserted_at=new.inserted_at, updated_at=new.inserted_at,
            reference=new.reference, template=new.template, post_commit_volumes=pcv,
            post_commit_effective_volumes=pcev,
        )
        return tx, rows[0]["log_id"]

    async def save_metadata(self, target_type: TargetType, target_id: str | int,
                            metadata: Metadata, log: LogDraft, event: EventDraft) -> int | None:
        sql = (SAVE_ACCOUNT_METADATA_SQL if target_type is TargetType.ACCOUNT
               else SAVE_TRANSACTION_METADATA_SQL)
        return await self._metadata_write(sql, str(target_id), dumps(metadata), log, event)

    async def delete_metadata(self, target_type: TargetType, target_id: str | int, key: str,
                              log: LogDraft, event: EventDraft) -> int | None:
        sql = (DELETE_ACCOUNT_METADATA_SQL if target_type is TargetType.ACCOUNT
               else DELETE_TRANSACTION_METADATA_SQL)
        return await self._metadata_write(sql, str(target_id), key, log, event)

    async def _metadata_write(self, sql: str, target: str, value: str, log: LogDraft,
                              event: EventDraft) -> int | None:
        memento = log_memento(log.type, log.data, format_time(log.date), log.idempotency_key)
        envelope = event_envelope(APP, event.type, event.payload, ledger=self.ledger,
                                  date=log.date)
        rows = await self._run(
            sql, self.ledger, target, value, str(log.type), dumps(log.data), log.date,
            log.idempotency_key, log.idempotency_hash, event.type, dumps(envelope), memento,
            draft=log,
        )
        if not rows:
            return None
        self.written[rows[0]["log_id"]] = bytes(rows[0]["hash"])
        return int(rows[0]["log_id"])
