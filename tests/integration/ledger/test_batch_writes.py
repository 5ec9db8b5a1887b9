"""The set-based write path (storage/ledger/batch_write.py): one statement per batch while this
process knows the ledger head, and the locked evaluation whenever the statement's own checks
refuse it. Each case checks what users see (outcomes, ids, volumes) and what the database
holds (gapless ids, the hash chain, volumes equal to the moves)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.ledger.errors import InsufficientFundError, ReferenceConflictError
from domain.ledger.hashing import chain_hash, format_time, log_memento
from domain.ledger.models import CreateTransaction, Posting, WriteOptions
from domain.ledger.service import LedgerService
from storage.database import Database
from storage.ledger.store import PgLedgerStore
from tests.integration.ledger.helpers import VOLUMES_NOT_MATCHING_MOVES_SQL

LEDGER = "batches"


def _tx(src: str, dst: str, amount: int, **kw: object) -> CreateTransaction:
    return CreateTransaction(postings=(Posting(src, dst, amount, "USD"),), **kw)  # type: ignore[arg-type]


async def _service(database: Database) -> tuple[LedgerService, PgLedgerStore]:
    store = PgLedgerStore(database)
    return LedgerService(store), store


async def _check_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        ids = [r["id"] for r in await conn.fetch(
            "SELECT id FROM transactions WHERE ledger=$1 ORDER BY id", LEDGER)]
        assert ids == list(range(1, len(ids) + 1))
        logs = await conn.fetch(
            "SELECT id, type, data::text, date, hash, idempotency_key FROM logs "
            "WHERE ledger=$1 ORDER BY id", LEDGER)
        assert [r["id"] for r in logs] == ids  # one log per transaction here
        previous = None
        for r in logs:
            memento = log_memento(r["type"], json.loads(r["data"]), format_time(r["date"]),
                                  r["idempotency_key"])
            previous = chain_hash(previous, memento)
            assert previous == r["hash"], f"hash chain broken at log {r['id']}"
        head = await conn.fetchrow("SELECT last_transaction_id, last_log_id, last_log_hash "
                                   "FROM ledgers WHERE name=$1", LEDGER)
        assert head["last_transaction_id"] == len(ids) and head["last_log_hash"] == previous
        mismatched = await conn.fetchval(VOLUMES_NOT_MATCHING_MOVES_SQL, LEDGER)
        assert mismatched == 0
        # every move's post-commit volumes are the running sums in id order
        bad = await conn.fetchval("""
            SELECT count(*) FROM (
                SELECT post_commit_volumes_input AS pin,
                       sum(CASE WHEN is_source THEN 0 ELSE amount END)
                           OVER (PARTITION BY account_address, asset ORDER BY seq) AS run_in
                FROM moves WHERE ledger=$1) x
            WHERE pin <> run_in""", LEDGER)
        assert bad == 0
    finally:
        await conn.close()


async def test_writes_after_the_first_are_one_statement_each(database: Database,
                                                               database_url: str) -> None:
    service, store = await _service(database)
    await service.create_ledger(LEDGER, None, {}, None)
    results = [await service.execute(LEDGER, _tx("world", f"users:{i % 3}", 10), WriteOptions())
               for i in range(12)]
    assert [r.transaction.id for r in results] == list(range(1, 13))  # type: ignore[union-attr]
    last = results[-1].transaction
    assert last is not None and last.post_commit_volumes["users:2"]["USD"].input == 40
    assert last.post_commit_volumes["world"]["USD"].output == 120
    counts = store.write_stats()[LEDGER]
    assert counts.get("locked") == 1 and counts.get("optimistic") == 11
    await _check_database(database_url)


async def test_another_process_writing_in_between(database: Database,
                                                  database_url: str) -> None:
    """Two stores stand for two API processes: each one's remembered head goes stale every
    time the other writes, and the statement must notice instead of forking the chain."""
    first, first_store = await _service(database)
    second, _ = await _service(database)
    await first.create_ledger(LEDGER, None, {}, None)
    ids = []
    for i in range(10):
        service = first if i % 2 == 0 else second
        result = await service.execute(LEDGER, _tx("world", "users:1", 1), WriteOptions())
        assert result.transaction is not None
        ids.append(result.transaction.id)
        # the answer's volumes are the row's after this very transaction
        assert result.transaction.post_commit_volumes["users:1"]["USD"].input == i + 1
    assert ids == list(range(1, 11))
    assert first_store.write_stats()[LEDGER].get("refused", 0) >= 4
    await _check_database(database_url)


async def test_a_failing_balance_leaves_the_others_of_its_batch(database: Database,
                                                                 database_url: str) -> None:
    service, store = await _service(database)
    await service.create_ledger(LEDGER, None, {}, None)
    await service.execute(LEDGER, _tx("world", "alice", 10), WriteOptions())
    outcomes = await asyncio.gather(
        *(service.execute(LEDGER, _tx("alice", "bob", 3), WriteOptions()) for _ in range(5)),
        return_exceptions=True)
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 3 and len(lost) == 2
    assert all(isinstance(e, InsufficientFundError) for e in lost)
    assert "alice" in str(lost[0]) and "the transaction needs 3" in str(lost[0])
    assert sorted(w.transaction.post_commit_volumes["alice"]["USD"].output  # type: ignore[union-attr]
                  for w in won) == [3, 6, 9]
    assert store.write_stats()[LEDGER].get("refused", 0) >= 1  # the statement said no first
    account = await service.get_account(LEDGER, "alice", expand=("volumes",))
    assert account.volumes["USD"].input - account.volumes["USD"].output == 1
    await _check_database(database_url)


async def test_a_back_dated_transaction_goes_the_per_transaction_way(
        database: Database, database_url: str) -> None:
    service, _ = await _service(database)
    await service.create_ledger(LEDGER, None, {}, None)
    await service.execute(LEDGER, _tx("world", "carol", 5), WriteOptions())
    await service.execute(LEDGER, _tx("world", "carol", 7), WriteOptions())
    earlier = datetime.now(UTC) - timedelta(days=1)
    result = await service.execute(LEDGER, _tx("world", "carol", 100, timestamp=earlier),
                                   WriteOptions())
    tx = result.transaction
    assert tx is not None and tx.id == 3
    assert tx.post_commit_volumes["carol"]["USD"].input == 112  # as of insertion
    assert tx.post_commit_effective_volumes["carol"]["USD"].input == 100  # as of its date
    later = await service.get_transaction(LEDGER, 2, expand=("effectiveVolumes",))
    assert later.post_commit_effective_volumes["carol"]["USD"].input == 112
    await _check_database(database_url)


async def test_a_reference_in_use_is_refused_and_the_ledger_goes_on(
        database: Database, database_url: str) -> None:
    service, _ = await _service(database)
    await service.create_ledger(LEDGER, None, {}, None)
    await service.execute(LEDGER, _tx("world", "dave", 1, reference="order-1"), WriteOptions())
    with pytest.raises(ReferenceConflictError):
        await service.execute(LEDGER, _tx("world", "dave", 1, reference="order-1"),
                              WriteOptions())
    same_batch = await asyncio.gather(
        *(service.execute(LEDGER, _tx("world", "dave", 1, reference="order-2"), WriteOptions())
          for _ in range(3)), return_exceptions=True)
    assert sum(isinstance(o, ReferenceConflictError) for o in same_batch) == 2
    after = await service.execute(LEDGER, _tx("world", "dave", 1), WriteOptions())
    assert after.transaction is not None and after.transaction.id == 3
    await _check_database(database_url)


async def test_bulk_elements_share_a_batch_and_keep_their_order(
        database: Database, database_url: str) -> None:
    from domain.ledger.service import BulkElement

    service, _ = await _service(database)
    await service.create_ledger(LEDGER, None, {}, None)
    elements = [BulkElement("CREATE_TRANSACTION", _tx("world", "erin", 1), WriteOptions())
                for _ in range(5)]
    elements.insert(2, BulkElement("CREATE_TRANSACTION", _tx("erin", "frank", 50),
                                   WriteOptions()))
    stopped = await service.bulk(LEDGER, elements, atomic=False, parallel=False,
                                 continue_on_failure=False)
    assert [o.result.transaction.id for o in stopped[:2]] == [1, 2]  # type: ignore[union-attr]
    assert isinstance(stopped[2].error, InsufficientFundError)
    assert all(o.error is not None and "canceled" in o.error.message for o in stopped[3:])
    kept = await service.bulk(LEDGER, elements, atomic=False, parallel=False,
                              continue_on_failure=True)
    assert [o.result.transaction.id if o.result else None  # type: ignore[union-attr]
            for o in kept] == [3, 4, None, 5, 6, 7]
    await _check_database(database_url)


async def test_client_timestamps_out_of_order_within_one_batch(
        database: Database, database_url: str) -> None:
    """A bulk whose second element is dated before its first: the second is back-dated, so it
    is written the per-transaction way, which rewrites the first's effective volumes."""
    from domain.ledger.service import BulkElement

    service, _ = await _service(database)
    await service.create_ledger(LEDGER, None, {}, None)
    late = datetime(2026, 1, 2, tzinfo=UTC)
    early = datetime(2026, 1, 1, tzinfo=UTC)
    future = datetime.now(UTC) + timedelta(days=365)
    elements = [BulkElement("CREATE_TRANSACTION", _tx("world", "gina", amount, timestamp=when),
                            WriteOptions())
                for amount, when in ((1, late), (2, early), (4, future), (8, None))]
    outcomes = await service.bulk(LEDGER, elements, atomic=False, parallel=False,
                                  continue_on_failure=False)
    assert [o.result.transaction.id for o in outcomes] == [1, 2, 3, 4]  # type: ignore[union-attr]
    txs = [await service.get_transaction(LEDGER, i, expand=("effectiveVolumes",))
           for i in range(1, 5)]
    effective = [tx.post_commit_effective_volumes["gina"]["USD"].input for tx in txs]
    # in time: early (2), late (1), now (8), future (4)
    assert effective == [3, 2, 15, 11]
    # without a timestamp of its own, a transaction is dated when written, even when a row
    # already holds a later (future) date: it is then simply back-dated
    assert txs[3].timestamp < future
    await _check_database(database_url)
