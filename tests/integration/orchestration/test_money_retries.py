"""A retried stage-work activity never posts twice: the same movement with the same key is the
ledger's replay of the first write (one transaction), a wallet credit too; a payment booked by
an earlier run counts as booked; the activity's history row is one row with its last attempt."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from domain.ledger.service import LedgerService
from domain.orchestration.models import ActivityRecord
from domain.orchestration.money import MoneyMover
from domain.orchestration.send_plan import LedgerTransfer, WalletCredit
from storage.database import Database
from storage.ledger.store import PgLedgerStore
from storage.orchestration.store import PgOrchestrationStore
from storage.wallets import wallets_service


async def test_same_key_posts_once(database: Database) -> None:
    ledger = LedgerService(PgLedgerStore(database))
    wallets = wallets_service(database, ledger=ledger)
    mover = MoneyMover(ledger, wallets)
    await ledger.create_ledger("main", None, {}, None)
    move = LedgerTransfer(ledger="main", source="world", destination="users:1", asset="USD/2",
                          amount=10)
    first = await mover.move(move, "flow-instance/i/stage/0/1")
    again = await mover.move(move, "flow-instance/i/stage/0/1")
    assert first == again and first is not None and len(first["data"]) == 1
    async with database.engine.connect() as conn:
        count = (await conn.execute(text(
            "SELECT count(*) FROM transactions WHERE ledger = 'main'"))).scalar_one()
    assert count == 1

    wallet = await wallets.create_wallet("w", {})
    credit = WalletCredit(wallet_id=wallet.id, balance="main", asset="USD/2", amount=5)
    await mover.move(credit, "flow-instance/i/stage/1/1")
    await mover.move(credit, "flow-instance/i/stage/1/1")
    assert (await wallets.get_wallet(wallet.id)).main_assets == {"USD/2": 5}

    book = LedgerTransfer(ledger="orchestration-000-internal", source="world",
                          destination="payment:p1", asset="USD/2", amount=7,
                          reference="payment:p1", reference_conflict_is_done=True)
    assert (await mover.move(book, "flow-instance/a/stage/0/2")) is not None
    # Another instance books the same payment: the reference says it is booked already.
    assert await mover.move(book, "flow-instance/b/stage/0/2") == {"data": []}


async def test_activity_history_keeps_one_row_per_activity(database: Database) -> None:
    store = PgOrchestrationStore(database)
    now = datetime.now(UTC)
    for attempt in (1, 2):
        await store.activity_started(ActivityRecord(
            instance_id="i", stage=0, seq=1, name="CreateTransaction", input={}, attempt=attempt,
            started_at=now))
    await store.activity_finished("i", 0, 1, {"CreateTransaction": {"data": []}}, None)
    (row,) = await store.stage_history("i", 0)
    assert row.attempt == 2 and row.terminated_at is not None and row.error is None
