"""The ledger store: the domain port over PostgreSQL. Writes go through PgLedgerWriter (raw
asyncpg, storage/ledger/writes.py); reads are SQLAlchemy Core with the filter compiler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.exc import IntegrityError

from domain.availability import DatabaseUnavailableError, WriteOutcomeUnknownError
from domain.ledger.errors import (
    CommitRecoveredError,
    LedgerAlreadyExistsError,
    TransientWriteError,
)
from domain.ledger.models import (
    Account,
    Ledger,
    Log,
    Metadata,
    Posting,
    Stats,
    Transaction,
    VolumeRow,
    Volumes,
)
from domain.ledger.ports import LogDraft, SubmitOutcome, TransactionSpec
from domain.ledger.query import ListQuery, Page, make_page
from domain.ledger.schemas import LedgerSchema
from storage.database import POOL_TIMEOUT_S, Database
from storage.failures import describe, unavailable
from storage.ledger import filters, schemas_store
from storage.ledger.batch_write import BatchWriter, FastGroup, texts_for
from storage.ledger.group_commit import GroupCommitter
from storage.ledger.importer import PgLogImporter
from storage.ledger.outcome import OutcomeUnknown, settle
from storage.ledger.tables import accounts, accounts_volumes, ledgers, logs, moves, transactions
from storage.ledger.writes import PgLedgerWriter

logger = logging.getLogger(__name__)


def _vol(i: Any, o: Any) -> Volumes:
    return Volumes(int(i), int(o))


_F = TypeVar("_F", bound=PgLedgerWriter)


@asynccontextmanager
async def _finishing(unit: _F) -> AsyncIterator[_F]:
    """Ends a writer's (or an importer's) unit of work: committed when the block ends normally,
    rolled back when it raises."""
    try:
        yield unit
    except BaseException:
        await unit.finish(failed=True)
        raise
    await unit.finish(failed=False)


class PgLedgerStore:
    def __init__(self, database: Database) -> None:
        self.db = database
        # Ledgers are never hard-deleted: a name seen once exists for good (positive cache only).
        self._known_ledgers: set[str] = set()
        self._committers: dict[str, GroupCommitter] = {}

    # --- unit of work ----------------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            pool = await self.db.write_pool()
            conn = await pool.acquire(timeout=POOL_TIMEOUT_S)
        except TimeoutError:  # every connection busy (or connecting) for that long
            raise DatabaseUnavailableError() from None
        except Exception as exc:
            down = unavailable(exc)
            if down is None:
                raise
            raise down from exc
        try:
            # The pool's proxy forwards every Connection method the writers use.
            yield cast(asyncpg.Connection, conn)
        finally:
            try:
                await pool.release(conn)
            except Exception as exc:  # a broken connection: the pool replaces it
                logger.debug("releasing a write connection failed: %s", describe(exc))

    def _committer(self, ledger: str) -> GroupCommitter:
        committer = self._committers.get(ledger)
        if committer is None:
            committer = self._committers[ledger] = GroupCommitter(
                self._connection, BatchWriter(ledger))
        return committer

    def write_stats(self) -> dict[str, dict[str, int]]:
        """Per ledger, how this process's batches were written (storage/ledger/batch_write.py):
        `optimistic` (one statement), `locked`, and `refused` optimistic statements."""
        return {name: dict(c.batches.counts) for name, c in sorted(self._committers.items())}

    async def submit_transactions(self, ledger: str, items: list[TransactionSpec], *,
                                  stop_on_failure: bool) -> list[SubmitOutcome]:
        # Serialised here, in the request's coroutine, not in the batch's serial section.
        texts = [texts_for(ledger, spec.dated(spec.requested_at)) for spec in items]
        return await self._committer(ledger).submit(FastGroup(items, stop_on_failure, texts))

    @asynccontextmanager
    async def writer(self, ledger: str, *, dry_run: bool = False, atomic: bool = False
                     ) -> AsyncIterator[PgLedgerWriter]:
        """A unit of work. If its connection fails while it may be committing, it is read back
        once the connection is returned (storage/ledger/outcome.py): CommitRecoveredError if it
        committed, TransientWriteError (run it again) if not, WriteOutcomeUnknownError if that
        cannot be found out in time."""
        try:
            if not dry_run and not atomic:
                # The common case shares a COMMIT with the writes arriving meanwhile
                # (storage/ledger/group_commit.py explains why).
                async with self._committer(ledger).turn() as turn, _finishing(PgLedgerWriter(
                        turn.conn, ledger, dry_run=False, atomic=False,
                        in_transaction=turn.in_batch, written=turn.written)) as w:
                    yield w
                return
            async with self._connection() as conn:
                w = PgLedgerWriter(conn, ledger, dry_run=dry_run, atomic=atomic)
                if dry_run or atomic:
                    await w.begin()
                async with _finishing(w):
                    yield w
        except OutcomeUnknown as unknown:
            found = await settle(self._connection, unknown.attempt)
            logger.warning("ledger %r: the connection failed around a COMMIT (%s); read back: %s",
                        ledger, unknown, "unknown" if found is None else
                        "committed" if found else "not committed")
            if found is None:
                raise WriteOutcomeUnknownError() from unknown
            if not found:
                raise TransientWriteError("not committed") from unknown
            raise CommitRecoveredError(found) from unknown

    async def _rows(self, stmt: Any) -> Sequence[Any]:
        async with self.db.transaction() as conn:
            return (await conn.execute(stmt)).all()

    # --- ledgers ---------------------------------------------------------------------------

    async def ledger_exists(self, name: str) -> bool:
        if name in self._known_ledgers:
            return True
        rows = await self._rows(select(ledgers.c.id).where(
            ledgers.c.name == name, ledgers.c.deleted_at.is_(None)))  # soft-deleted: unknown
        if rows:
            self._known_ledgers.add(name)
        return bool(rows)

    async def create_ledger(self, ledger: Ledger) -> None:
        try:
            async with self.db.transaction() as conn:
                await conn.execute(ledgers.insert().values(
                    name=ledger.name, bucket=ledger.bucket, metadata=ledger.metadata,
                    features=ledger.features, added_at=ledger.added_at,
                ))
        except IntegrityError:
            raise LedgerAlreadyExistsError(ledger.name) from None
        self._known_ledgers.add(ledger.name)

    @staticmethod
    def _ledger(row: Any) -> Ledger:
        return Ledger(id=row.id, name=row.name, bucket=row.bucket, metadata=row.metadata,
                      features=row.features, added_at=row.added_at, deleted_at=row.deleted_at)

    async def get_ledger(self, name: str) -> Ledger | None:
        rows = await self._rows(select(ledgers).where(ledgers.c.name == name))
        return self._ledger(rows[0]) if rows else None

    async def list_ledgers(self, query: ListQuery) -> Page[Ledger]:
        stmt = select(ledgers).where(filters.ledgers_filter(query.filter))
        if not query.options.get("includeDeleted"):
            stmt = stmt.where(ledgers.c.deleted_at.is_(None))
        rows = await self._rows(filters.paginate(stmt, query))
        return make_page(query, [self._ledger(r) for r in rows], _key(query, _ledger_key))

    async def update_ledger_metadata(self, name: str, metadata: Metadata) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(ledgers.update().where(ledgers.c.name == name).values(
                metadata=ledgers.c.metadata.op("||")(literal(metadata, ledgers.c.metadata.type))
            ))

    async def delete_ledger_metadata(self, name: str, key: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(ledgers.update().where(ledgers.c.name == name).values(
                metadata=ledgers.c.metadata.op("-")(literal(key))
            ))

    async def stats(self, ledger: str) -> Stats:
        n_accounts = select(func.count()).select_from(accounts).where(accounts.c.ledger == ledger)
        n_tx = select(func.count()).select_from(transactions).where(
            transactions.c.ledger == ledger)
        rows = await self._rows(select(n_accounts.scalar_subquery(), n_tx.scalar_subquery()))
        return Stats(accounts=int(rows[0][0]), transactions=int(rows[0][1]))

    # --- transactions ----------------------------------------------------------------------

    @staticmethod
    def _transaction(row: Any) -> Transaction:
        return Transaction(
            id=row.id,
            postings=[Posting(p["source"], p["destination"], int(p["amount"]), p["asset"])
                      for p in row.postings],
            metadata=row.metadata, timestamp=row.timestamp, inserted_at=row.inserted_at,
            updated_at=row.updated_at, reference=row.reference, reverted_at=row.reverted_at,
            template=row.template,
        )

    async def get_transaction(self, ledger: str, transaction_id: int,
                              expand: tuple[str, ...] = (), pit: datetime | None = None
                              ) -> Transaction | None:
        stmt = select(transactions).where(transactions.c.ledger == ledger,
                                          transactions.c.id == transaction_id)
        rows = await self._rows(stmt)
        if not rows:
            return None
        txs = [self._transaction(rows[0])]
        await self._expand_transactions(ledger, txs, expand)
        return txs[0]

    def _transactions_stmt(self, ledger: str, q: ListQuery) -> Select[Any]:
        return select(transactions).where(
            transactions.c.ledger == ledger,
            filters.transactions_filter(q.filter, pit=q.pit, oot=q.oot),
        )

    async def list_transactions(self, ledger: str, query: ListQuery) -> Page[Transaction]:
        rows = await self._rows(filters.paginate(self._transactions_stmt(ledger, query), query))
        txs = [self._transaction(r) for r in rows]
        await self._expand_transactions(ledger, txs, query.expand)
        return make_page(query, txs, _key(query, _attr_key))

    async def count_transactions(self, ledger: str, query: ListQuery) -> int:
        inner = self._transactions_stmt(ledger, query).subquery()
        rows = await self._rows(select(func.count()).select_from(inner))
        return int(rows[0][0])

    async def _expand_transactions(self, ledger: str, txs: list[Transaction],
                                   expand: tuple[str, ...]) -> None:
        """Post-commit (effective) volumes of each transaction: those of its last move per
        account and asset."""
        if not expand or not txs:
            return
        m = moves.c
        last = (
            select(m.transaction_id, m.account_address, m.asset,
                   m.post_commit_volumes_input, m.post_commit_volumes_output,
                   m.post_commit_effective_volumes_input, m.post_commit_effective_volumes_output)
            .where(m.ledger == ledger, m.transaction_id.in_([t.id for t in txs]))
            .ext(distinct_on(m.transaction_id, m.account_address, m.asset))
            .order_by(m.transaction_id, m.account_address, m.asset, m.seq.desc())
        )
        by_id = {t.id: t for t in txs}
        for t in txs:
            if "volumes" in expand:
                t.post_commit_volumes = {}
            if "effectiveVolumes" in expand:
                t.post_commit_effective_volumes = {}
        for r in await self._rows(last):
            t = by_id[r.transaction_id]
            if t.post_commit_volumes is not None:
                t.post_commit_volumes.setdefault(r.account_address, {})[r.asset] = _vol(
                    r.post_commit_volumes_input, r.post_commit_volumes_output)
            if t.post_commit_effective_volumes is not None:
                t.post_commit_effective_volumes.setdefault(r.account_address, {})[r.asset] = _vol(
                    r.post_commit_effective_volumes_input, r.post_commit_effective_volumes_output)

    # --- accounts --------------------------------------------------------------------------

    @staticmethod
    def _account(row: Any) -> Account:
        return Account(address=row.address, metadata=row.metadata, first_usage=row.first_usage,
                       insertion_date=row.insertion_date, updated_at=row.updated_at)

    async def get_account(self, ledger: str, address: str, expand: tuple[str, ...] = (),
                          pit: datetime | None = None) -> Account | None:
        stmt = select(accounts).where(accounts.c.ledger == ledger, accounts.c.address == address)
        if pit is not None:
            stmt = stmt.where(accounts.c.first_usage <= pit)
        rows = await self._rows(stmt)
        if not rows:
            return None
        account = self._account(rows[0])
        await self._expand_accounts(ledger, [account], expand, pit)
        return account

    def _accounts_stmt(self, ledger: str, q: ListQuery) -> Select[Any]:
        return select(accounts).where(
            accounts.c.ledger == ledger, filters.accounts_filter(q.filter, pit=q.pit))

    async def list_accounts(self, ledger: str, query: ListQuery) -> Page[Account]:
        rows = await self._rows(filters.paginate(self._accounts_stmt(ledger, query), query))
        items = [self._account(r) for r in rows]
        await self._expand_accounts(ledger, items, query.expand, query.pit)
        return make_page(query, items, _key(query, _attr_key))

    async def count_accounts(self, ledger: str, query: ListQuery) -> int:
        inner = self._accounts_stmt(ledger, query).subquery()
        rows = await self._rows(select(func.count()).select_from(inner))
        return int(rows[0][0])

    async def _expand_accounts(self, ledger: str, items: list[Account], expand: tuple[str, ...],
                               pit: datetime | None) -> None:
        if not expand or not items:
            return
        addresses = [a.address for a in items]
        by_address = {a.address: a for a in items}
        for kind in ("volumes", "effectiveVolumes"):
            if kind not in expand:
                continue
            found = await self._volumes_at(ledger, addresses, pit, effective=kind != "volumes")
            for a in items:
                vols = found.get(a.address, {})
                if kind == "volumes":
                    a.volumes = vols
                else:
                    a.effective_volumes = vols
        del by_address

    async def _volumes_at(self, ledger: str, addresses: list[str], pit: datetime | None,
                          *, effective: bool) -> dict[str, dict[str, Volumes]]:
        """Current volumes, or at pit: the post-commit (effective) volumes of the latest move at
        or before pit, by insertion date (volumes) or effective date (effectiveVolumes)."""
        out: dict[str, dict[str, Volumes]] = {}
        if pit is None:
            v = accounts_volumes.c
            rows = await self._rows(select(v.address, v.asset, v.input, v.output).where(
                v.ledger == ledger, v.address.in_(addresses)))
            for r in rows:
                out.setdefault(r.address, {})[r.asset] = _vol(r.input, r.output)
            return out
        m = moves.c
        date = m.effective_date if effective else m.insertion_date
        vin = m.post_commit_effective_volumes_input if effective else m.post_commit_volumes_input
        vout = (m.post_commit_effective_volumes_output if effective
                else m.post_commit_volumes_output)
        stmt = (
            select(m.account_address, m.asset, vin.label("i"), vout.label("o"))
            .where(m.ledger == ledger, m.account_address.in_(addresses), date <= pit)
            .ext(distinct_on(m.account_address, m.asset))
            .order_by(m.account_address, m.asset, date.desc(), m.seq.desc())
        )
        for r in await self._rows(stmt):
            out.setdefault(r.account_address, {})[r.asset] = _vol(r.i, r.o)
        return out

    # --- balances and volumes --------------------------------------------------------------

    async def aggregate_balances(self, ledger: str, query: ListQuery) -> dict[str, int]:
        use_insertion = bool(query.options.get("useInsertionDate"))
        matching = select(accounts.c.address).where(
            accounts.c.ledger == ledger,
            filters.accounts_filter(query.filter, pit=query.pit,
                                    use_insertion_date=use_insertion),
        )
        if query.pit is None:
            v = accounts_volumes.c
            stmt = (select(v.asset, func.sum(v.input - v.output).label("balance"))
                    .where(v.ledger == ledger, v.address.in_(matching))
                    .group_by(v.asset).order_by(v.asset))
        else:
            m = moves.c
            date = m.insertion_date if use_insertion else m.effective_date
            vin = m.post_commit_volumes_input if use_insertion else (
                m.post_commit_effective_volumes_input)
            vout = m.post_commit_volumes_output if use_insertion else (
                m.post_commit_effective_volumes_output)
            latest = (
                select(m.asset, (vin - vout).label("balance"))
                .where(m.ledger == ledger, m.account_address.in_(matching), date <= query.pit)
                .ext(distinct_on(m.account_address, m.asset))
                .order_by(m.account_address, m.asset, date.desc(), m.seq.desc())
            ).subquery()
            stmt = (select(latest.c.asset, func.sum(latest.c.balance).label("balance"))
                    .group_by(latest.c.asset).order_by(latest.c.asset))
        return {r.asset: int(r.balance) for r in await self._rows(stmt)}

    async def list_volumes(self, ledger: str, query: ListQuery) -> Page[VolumeRow]:
        insertion = bool(query.options.get("insertionDate"))
        group_by = query.options.get("groupBy")
        if query.pit is None and query.oot is None:
            v = accounts_volumes.c
            base = select(v.address.label("address"), v.address.label("full_address"),
                          v.asset.label("asset"), v.input.label("input"),
                          v.output.label("output")).where(v.ledger == ledger)
        else:
            m = moves.c
            date = m.insertion_date if insertion else m.effective_date
            conds: list[ColumnElement[bool]] = [m.ledger == ledger]
            if query.pit is not None:
                conds.append(date <= query.pit)
            if query.oot is not None:
                conds.append(date >= query.oot)
            base = (
                select(m.account_address.label("address"),
                       m.account_address.label("full_address"), m.asset.label("asset"),
                       func.sum(case((m.is_source, 0), else_=m.amount)).label("input"),
                       func.sum(case((m.is_source, m.amount), else_=0)).label("output"))
                .where(*conds).group_by(m.account_address, m.asset)
            )
        src = base.subquery("vols")
        if isinstance(group_by, int) and group_by > 0:
            grouped = func.array_to_string(
                func.string_to_array(src.c.address, ":", type_=ARRAY(Text))[1:group_by], ":")
            src = (select(grouped.label("address"), grouped.label("full_address"),
                          src.c.asset, func.sum(src.c.input).label("input"),
                          func.sum(src.c.output).label("output"))
                   .group_by(grouped, src.c.asset)).subquery("grouped")
        rows_src = select(src.c.address, src.c.asset, src.c.input, src.c.output,
                          (src.c.input - src.c.output).label("balance")).subquery("rows")
        stmt = select(rows_src).where(filters.volumes_filter(
            query.filter, ledger=ledger, address=rows_src.c.address, asset=rows_src.c.asset,
            balance=rows_src.c.balance))
        stmt = filters.paginate(stmt, query, {"address": rows_src.c.address,
                                              "asset": rows_src.c.asset})
        items = [VolumeRow(r.address, r.asset, int(r.input), int(r.output))
                 for r in await self._rows(stmt)]
        return make_page(query, items, lambda x: (x.account, x.asset))

    # --- logs ------------------------------------------------------------------------------

    async def list_logs(self, ledger: str, query: ListQuery) -> Page[Log]:
        stmt = select(logs).where(logs.c.ledger == ledger,
                                  filters.logs_filter(query.filter, pit=query.pit, oot=query.oot))
        rows = await self._rows(filters.paginate(stmt, query))
        items = [Log(id=r.id, type=r.type, data=r.data, date=r.date, hash=r.hash,
                     idempotency_key=r.idempotency_key, idempotency_hash=r.idempotency_hash)
                 for r in rows]
        return make_page(query, items, _key(query, _attr_key))

    # --- issue 5: buckets, import/export, schemas, v1 mappings ------------------------------

    async def set_bucket_deleted(self, bucket: str, deleted_at: datetime | None) -> int:
        async with self.db.transaction() as conn:
            rows = (await conn.execute(
                ledgers.update().where(ledgers.c.bucket == bucket)
                .values(deleted_at=deleted_at).returning(ledgers.c.name))).all()
        if deleted_at is not None:
            # This process stops serving them at once (other replicas: see ledger_exists).
            self._known_ledgers.difference_update(r.name for r in rows)
        return len(rows)

    async def log_head(self, ledger: str) -> tuple[int, bytes | None]:
        rows = await self._rows(select(ledgers.c.last_log_id, ledgers.c.last_log_hash)
                                .where(ledgers.c.name == ledger))
        return (int(rows[0][0]), rows[0][1]) if rows else (0, None)

    async def read_logs(self, ledger: str, after_id: int, limit: int) -> list[Log]:
        rows = await self._rows(select(logs).where(logs.c.ledger == ledger, logs.c.id > after_id)
                                .order_by(logs.c.id).limit(limit))
        return [Log(id=r.id, type=r.type, data=r.data, date=r.date, hash=r.hash,
                    idempotency_key=r.idempotency_key, idempotency_hash=r.idempotency_hash)
                for r in rows]

    @asynccontextmanager
    async def importer(self, ledger: str) -> AsyncIterator[PgLogImporter]:
        async with self.db.engine.connect() as sa_conn:
            raw = await sa_conn.get_raw_connection()
            conn: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
            importer = PgLogImporter(conn, ledger)
            await importer.begin()
            async with _finishing(importer):
                yield importer

    async def has_schemas(self, ledger: str) -> bool:
        t = schemas_store.ledger_schemas
        rows = await self._rows(select(t.c.version).where(t.c.ledger == ledger).limit(1))
        return bool(rows)

    async def get_schema(self, ledger: str, version: str) -> LedgerSchema | None:
        t = schemas_store.ledger_schemas
        rows = await self._rows(select(t).where(t.c.ledger == ledger, t.c.version == version))
        return schemas_store.schema_from_row(rows[0]._mapping) if rows else None

    async def list_schemas(self, ledger: str, offset: int, limit: int, descending: bool
                           ) -> list[LedgerSchema]:
        t = schemas_store.ledger_schemas
        order = (t.c.created_at.desc(), t.c.version.desc()) if descending else (
            t.c.created_at, t.c.version)
        rows = await self._rows(select(t).where(t.c.ledger == ledger).order_by(*order)
                                .offset(offset).limit(limit))
        return [schemas_store.schema_from_row(r._mapping) for r in rows]

    async def insert_schema(self, ledger: str, schema: LedgerSchema, log: LogDraft) -> int:
        # Its own transaction: a duplicate version must not abort a shared group commit.
        async with self.writer(ledger, atomic=True) as w:
            return await schemas_store.insert_schema(w.conn, ledger, schema, log)

    async def get_v1_mapping(self, ledger: str) -> dict[str, Any] | None:
        t = schemas_store.ledger_v1_mappings
        rows = await self._rows(select(t.c.mapping).where(t.c.ledger == ledger))
        return dict(rows[0][0]) if rows else None

    async def save_v1_mapping(self, ledger: str, mapping: dict[str, Any]) -> None:
        from sqlalchemy.dialects.postgresql import insert

        t = schemas_store.ledger_v1_mappings
        stmt = insert(t).values(ledger=ledger, mapping=mapping)
        async with self.db.transaction() as conn:
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[t.c.ledger], set_={"mapping": stmt.excluded.mapping}))


def _attr_key(item: Any, column: str) -> Any:
    attr = {"inserted_at": "inserted_at", "updated_at": "updated_at"}.get(column, column)
    return getattr(item, attr)


def _ledger_key(item: Ledger, column: str) -> Any:
    return getattr(item, column)


def _key(query: ListQuery, getter: Any) -> Any:
    from domain.ledger.query import key_columns

    cols = key_columns(query.resource, query.sort)
    return lambda item: tuple(getter(item, c) for c in cols)

