"""The set-based write path: many new transactions of one ledger in one database transaction
and two statements, whatever their number.

Per-transaction statements cost PostgreSQL a parse-bind-execute, a plan and a trip through the
executor for each of the seven tables a transaction touches, and each write of a group commit
also paid a savepoint. Here a batch (concurrent requests and bulk elements alike) is written as:

1. LOCK: one statement upserts-and-locks every (account, asset) row the batch touches, in sorted
   order, then locks the ledger row, and returns their current state.
2. EVALUATE, in Python, in arrival order: each transaction's balance checks against the running
   volumes (the rows are locked, so nobody else can change them), its id, log id and log hash.
   A failing transaction (insufficient funds, a reference already used) is left out; the
   others are unaffected, exactly as with one statement per transaction.
3. WRITE: one statement sets the final volumes and the ledger's counters and inserts every
   transaction, move, account, log and event with `unnest` over arrays.

Lock order is the one of the per-transaction path (volume rows sorted, then the ledger row), so
the two paths can run side by side in several processes.

What this path does not take (a back-dated transaction, which rewrites later moves' effective
volumes; an idempotency key used twice in one batch) is DEFERRED: the caller runs it through the
per-transaction path, so every case keeps one implementation of its rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.errors import DomainError
from domain.ledger.errors import (
    InsufficientFundError,
    LedgerNotFoundError,
    ReferenceConflictError,
)
from domain.ledger.hashing import chain_hash, format_time, log_memento, split_pending_id
from domain.ledger.models import AggregatedVolumes, Log, Transaction, Volumes
from domain.ledger.ports import NewTransaction, SubmitOutcome
from storage.ledger.jsonutil import dumps, loads
from storage.outbox import event_envelope

APP = "ledger"

LOCK_SQL = """
WITH vol AS (
    INSERT INTO accounts_volumes AS v (ledger, address, asset, input, output, last_effective_date)
    SELECT $1, u.address, u.asset, 0, 0, NULL
    FROM unnest($2::text[], $3::text[]) AS u(address, asset)
    ORDER BY u.address, u.asset
    ON CONFLICT (ledger, address, asset) DO UPDATE SET input = v.input
    RETURNING v.address, v.asset, v.input, v.output, v.last_effective_date
),
l AS (
    SELECT last_transaction_id, last_log_id, last_log_hash FROM ledgers
    WHERE name = $1 AND deleted_at IS NULL AND (SELECT count(*) FROM vol) >= 0
    FOR UPDATE
)
SELECT l.last_transaction_id, l.last_log_id, l.last_log_hash,
       vol.address, vol.asset, vol.input, vol.output, vol.last_effective_date
FROM vol LEFT JOIN l ON true
"""

USED_REFERENCES_SQL = """
SELECT reference FROM transactions WHERE ledger = $1 AND reference = ANY($2::text[])
"""

KNOWN_KEYS_SQL = """
SELECT id, type, data::text, date, hash, idempotency_key, idempotency_hash
FROM logs WHERE ledger = $1 AND idempotency_key = ANY($2::text[])
"""

WRITE_SQL = """
WITH vol AS (
    UPDATE accounts_volumes v
    SET input = u.input, output = u.output, last_effective_date = u.led
    FROM unnest($2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::timestamptz[])
         AS u(address, asset, input, output, led)
    WHERE v.ledger = $1 AND v.address = u.address AND v.asset = u.asset
),
l AS (
    UPDATE ledgers SET last_transaction_id = $7, last_log_id = $8, last_log_hash = $9
    WHERE name = $1
),
tx AS (
    INSERT INTO transactions (ledger, id, "timestamp", inserted_at, updated_at, reference,
                              postings, metadata, sources, destinations, template)
    SELECT $1, t.id, t.ts, t.ins, t.ins, t.ref, t.postings::jsonb, t.metadata::jsonb,
           string_to_array(t.sources, ' '), string_to_array(t.destinations, ' '), t.template
    FROM unnest($10::bigint[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[],
                $15::text[], $16::text[], $17::text[], $18::text[])
         AS t(id, ts, ins, ref, postings, metadata, sources, destinations, template)
),
mv AS (
    INSERT INTO moves (ledger, transaction_id, account_address, account_address_array, asset,
                       amount, is_source, insertion_date, effective_date,
                       post_commit_volumes_input, post_commit_volumes_output,
                       post_commit_effective_volumes_input, post_commit_effective_volumes_output)
    SELECT $1, m.tx_id, m.address, string_to_array(m.address, ':'), m.asset, m.amount,
           m.is_source, m.ins, m.eff, m.pin, m.pout, m.pin, m.pout
    FROM unnest($19::bigint[], $20::text[], $21::text[], $22::numeric[], $23::bool[],
                $24::timestamptz[], $25::timestamptz[], $26::numeric[], $27::numeric[])
         WITH ORDINALITY AS m(tx_id, address, asset, amount, is_source, ins, eff, pin, pout, ord)
    ORDER BY m.ord
),
acc AS (
    INSERT INTO accounts AS a (ledger, address, address_array, metadata, first_usage,
                               insertion_date, updated_at)
    SELECT $1, u.address, string_to_array(u.address, ':'), u.metadata::jsonb, u.first_usage,
           u.ins, u.upd
    FROM unnest($28::text[], $29::text[], $30::timestamptz[], $31::timestamptz[],
                $32::timestamptz[]) AS u(address, metadata, first_usage, ins, upd)
    ORDER BY u.address
    ON CONFLICT (ledger, address) DO UPDATE
    SET first_usage = least(a.first_usage, excluded.first_usage),
        metadata = a.metadata || excluded.metadata,
        updated_at = CASE WHEN excluded.metadata = '{}'::jsonb THEN a.updated_at
                          ELSE excluded.updated_at END
    WHERE a.first_usage > excluded.first_usage OR excluded.metadata <> '{}'::jsonb
),
gone AS (
    -- rows the LOCK step created for transactions that were then refused
    DELETE FROM accounts_volumes v
    USING unnest($42::text[], $43::text[]) AS d(address, asset)
    WHERE v.ledger = $1 AND v.address = d.address AND v.asset = d.asset
      AND v.last_effective_date IS NULL AND v.input = 0 AND v.output = 0
),
lg AS (
    INSERT INTO logs (ledger, id, type, data, date, hash, idempotency_key, idempotency_hash)
    SELECT $1, g.id, g.type, g.data::jsonb, g.date, g.hash, g.key, g.key_hash
    FROM unnest($33::bigint[], $34::text[], $35::text[], $36::timestamptz[], $37::bytea[],
                $38::text[], $39::text[]) AS g(id, type, data, date, hash, key, key_hash)
)
INSERT INTO events_outbox (app, type, envelope)
SELECT 'ledger', e.type, e.envelope::jsonb
FROM unnest($40::text[], $41::text[]) WITH ORDINALITY AS e(type, envelope, ord)
ORDER BY e.ord
"""


@dataclass(eq=False, slots=True)
class FastGroup:
    """Transactions submitted together (one request, or the consecutive transactions of a
    bulk), evaluated in order. With `stop_on_failure`, a failure cancels the group's later
    transactions; a deferred one defers the rest, so that their order is kept."""

    items: Sequence[NewTransaction]
    stop_on_failure: bool


@dataclass(slots=True)
class _Row:
    input: int
    output: int
    last_effective_date: datetime | None


def _set_path(doc: Any, path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[int(key)] if isinstance(doc, list) else doc[key]
    doc[path[-1]] = value


class _Batch:
    """Step 2 (evaluate) and the arrays of step 3 (write)."""

    def __init__(self, ledger: str, rows: dict[tuple[str, str], _Row], tx_id: int,
                 log_id: int, last_hash: bytes | None, used_refs: set[str],
                 known_logs: dict[str, Log]) -> None:
        self.ledger = ledger
        self.rows = rows
        self.tx_id, self.log_id, self.hash = tx_id, log_id, last_hash
        self.used_refs = used_refs
        self.known_logs = known_logs
        self.keys_seen: set[str] = set()
        self.touched: set[tuple[str, str]] = set()
        self.tx_cols: list[list[Any]] = [[] for _ in range(9)]
        self.move_cols: list[list[Any]] = [[] for _ in range(9)]
        self.log_cols: list[list[Any]] = [[] for _ in range(7)]
        self.event_cols: list[list[Any]] = [[], []]
        # address -> [metadata (merged in order), first usage, inserted at, updated at]
        self.accounts: dict[str, list[Any]] = {}

    @property
    def written(self) -> int:
        return len(self.tx_cols[0])

    def evaluate(self, group: FastGroup) -> list[SubmitOutcome]:
        outcomes: list[SubmitOutcome] = []
        stop: SubmitOutcome | None = None
        for new in group.items:
            if stop is not None:
                outcomes.append(stop)
                continue
            outcome = self._one(new)
            outcomes.append(outcome)
            if outcome.deferred:
                stop = outcome
            elif outcome.error is not None and group.stop_on_failure:
                stop = SubmitOutcome(error=DomainError(
                    "context canceled: an earlier element failed"))
        return outcomes

    def _one(self, new: NewTransaction) -> SubmitOutcome:
        key = new.log.idempotency_key
        if key is not None:
            if key in self.keys_seen:
                return SubmitOutcome(deferred=True)  # its twin's outcome decides: replay path
            known = self.known_logs.get(key)
            if known is not None:
                return SubmitOutcome(existing_log=known)
        if new.reference is not None and new.reference in self.used_refs:
            return SubmitOutcome(error=ReferenceConflictError(new.reference))
        rows = self.rows
        for change in new.plan.changes:
            row = rows[(change.address, change.asset)]
            if row.last_effective_date is not None and row.last_effective_date > new.timestamp:
                return SubmitOutcome(deferred=True)
            if change.required_balance is not None:
                balance = row.input - row.output
                if balance < change.required_balance:
                    return SubmitOutcome(error=InsufficientFundError(
                        f"insufficient funds: account {change.address} has a balance of "
                        f"{balance} {change.asset}, the transaction needs "
                        f"{change.required_balance}"))
        # Accepted: apply it.
        if key is not None:
            self.keys_seen.add(key)
        if new.reference is not None:
            self.used_refs.add(new.reference)
        pcv: AggregatedVolumes = {}
        for change in new.plan.changes:
            pair = (change.address, change.asset)
            row = rows[pair]
            row.input += change.input
            row.output += change.output
            row.last_effective_date = new.timestamp
            self.touched.add(pair)
            pcv.setdefault(change.address, {})[change.asset] = Volumes(row.input, row.output)
        self.tx_id += 1
        self.log_id += 1
        tx_id = self.tx_id
        self._record(new, tx_id)
        tx = Transaction(
            id=tx_id, postings=new.postings, metadata=new.metadata, timestamp=new.timestamp,
            inserted_at=new.inserted_at, updated_at=new.inserted_at, reference=new.reference,
            template=new.template, post_commit_volumes=pcv, post_commit_effective_volumes=pcv,
        )
        return SubmitOutcome(transaction=tx, log_id=self.log_id)

    def _record(self, new: NewTransaction, tx_id: int) -> None:
        log = new.log
        memento = log_memento(log.type, log.data, format_time(log.date), log.idempotency_key)
        prefix, suffix = split_pending_id(memento)
        self.hash = chain_hash(self.hash, f"{prefix}{tx_id}{suffix}")
        for path in log.pending_paths:
            _set_path(log.data, path, tx_id)
        for path in new.event.pending_paths:
            _set_path(new.event.payload, path, tx_id)

        t = self.tx_cols
        t[0].append(tx_id)
        t[1].append(new.timestamp)
        t[2].append(new.inserted_at)
        t[3].append(new.reference)
        t[4].append(dumps(log.data["transaction"]["postings"]))
        t[5].append(dumps(new.metadata))
        t[6].append(" ".join(sorted({p.source for p in new.postings})))
        t[7].append(" ".join(sorted({p.destination for p in new.postings})))
        t[8].append(new.template)

        m = self.move_cols
        for move in new.plan.moves:
            row = self.rows[(move.address, move.asset)]
            m[0].append(tx_id)
            m[1].append(move.address)
            m[2].append(move.asset)
            m[3].append(move.amount)
            m[4].append(move.is_source)
            m[5].append(new.inserted_at)
            m[6].append(new.timestamp)
            m[7].append(row.input - move.later_input)
            m[8].append(row.output - move.later_output)

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

        g = self.log_cols
        g[0].append(self.log_id)
        g[1].append(str(log.type))
        g[2].append(dumps(log.data))
        g[3].append(log.date)
        g[4].append(self.hash)
        g[5].append(log.idempotency_key)
        g[6].append(log.idempotency_hash)

        envelope = event_envelope(APP, new.event.type, new.event.payload, ledger=self.ledger,
                                  date=log.date)
        self.event_cols[0].append(new.event.type)
        self.event_cols[1].append(dumps(envelope))

    def write_args(self) -> list[Any]:
        pairs = sorted(self.touched)
        unused = sorted(p for p, r in self.rows.items()
                        if p not in self.touched and r.last_effective_date is None)
        vols = [self.rows[p] for p in pairs]
        addresses = sorted(self.accounts)
        accounts = [self.accounts[a] for a in addresses]
        return [
            self.ledger,
            [p[0] for p in pairs], [p[1] for p in pairs],
            [r.input for r in vols], [r.output for r in vols],
            [r.last_effective_date for r in vols],
            self.tx_id, self.log_id, self.hash,
            *self.tx_cols,
            *self.move_cols,
            addresses, [dumps(a[0]) for a in accounts], [a[1] for a in accounts],
            [a[2] for a in accounts], [a[3] for a in accounts],
            *self.log_cols,
            *self.event_cols,
            [p[0] for p in unused], [p[1] for p in unused],
        ]


async def write_groups(ledger: str, conn: asyncpg.Connection, groups: Sequence[FastGroup]
                       ) -> list[list[SubmitOutcome]]:
    """Steps 1-3 on `conn`, inside the caller's open transaction (the caller commits, and
    answers nobody before the COMMIT succeeds). Database errors propagate."""
    pairs = sorted({(c.address, c.asset) for g in groups for n in g.items
                    for c in n.plan.changes})
    records = await conn.fetch(LOCK_SQL, ledger, [p[0] for p in pairs], [p[1] for p in pairs])
    head = records[0] if records else None
    if head is None or head["last_transaction_id"] is None:
        missing = SubmitOutcome(error=LedgerNotFoundError(ledger))
        return [[missing for _ in g.items] for g in groups]
    rows = {(r["address"], r["asset"]): _Row(int(r["input"]), int(r["output"]),
                                             r["last_effective_date"]) for r in records}
    refs = [n.reference for g in groups for n in g.items if n.reference is not None]
    used = ({r["reference"] for r in await conn.fetch(USED_REFERENCES_SQL, ledger, refs)}
            if refs else set())
    keys = [n.log.idempotency_key for g in groups for n in g.items
            if n.log.idempotency_key is not None]
    known: dict[str, Log] = {}
    if keys:
        for r in await conn.fetch(KNOWN_KEYS_SQL, ledger, keys):
            known[r["idempotency_key"]] = Log(
                id=r["id"], type=r["type"], data=loads(r["data"]), date=r["date"],
                hash=r["hash"], idempotency_key=r["idempotency_key"],
                idempotency_hash=r["idempotency_hash"])
    batch = _Batch(ledger, rows, head["last_transaction_id"], head["last_log_id"],
                   head["last_log_hash"], used, known)
    outcomes = [batch.evaluate(g) for g in groups]
    if batch.written:
        await conn.execute(WRITE_SQL, *batch.write_args())
    return outcomes
