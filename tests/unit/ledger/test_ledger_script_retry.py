"""A script's balance reads lock rows in the interpreter's order; after a deadlock the retry first
locks everything the failed attempt touched, in one sorted request
(domain/ledger/service/scripts.py ScriptStore)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from domain.ledger.errors import TransientWriteError
from domain.ledger.models import CreateTransaction, Script, Transaction, WriteOptions
from domain.ledger.ports import NewTransaction
from domain.ledger.service import LedgerService


class FakeWriter:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def find_log_by_idempotency_key(self, key: str) -> None:
        return None

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        self.store.balance_queries.append({a: set(s) for a, s in query.items()})
        return {a: {s: self.store.balances.get((a, s), 0) for s in assets}
                for a, assets in query.items()}

    async def get_accounts_metadata(self, query: dict[str, set[str]]
                                    ) -> dict[str, dict[str, str]]:
        return {a: {} for a in query}

    async def insert_transaction(self, new: NewTransaction) -> tuple[Transaction, int]:
        self.store.inserts += 1
        if self.store.inserts == 1:
            raise TransientWriteError("deadlock detected")
        tx = Transaction(id=1, postings=new.postings, metadata=new.metadata,
                         timestamp=new.timestamp, inserted_at=new.inserted_at,
                         updated_at=new.inserted_at)
        return tx, 1


class FakeStore:
    def __init__(self) -> None:
        self.balances = {("a", "USD"): 100, ("b", "USD"): 100}
        self.balance_queries: list[dict[str, set[str]]] = []
        self.inserts = 0

    async def ledger_exists(self, name: str) -> bool:
        return True

    async def has_schemas(self, ledger: str) -> bool:  # ledger schemas (issue 5): none here
        return False

    @asynccontextmanager
    async def writer(self, ledger: str, *, dry_run: bool = False, atomic: bool = False
                     ) -> AsyncIterator[FakeWriter]:
        yield FakeWriter(self)


async def test_the_retry_locks_every_touched_row_first_in_one_request() -> None:
    store = FakeStore()
    service = LedgerService(store)  # type: ignore[arg-type]
    plain = "send [USD 150] (source = { @b @a } destination = @z)"
    command = CreateTransaction(script=Script(plain))
    result = await service.execute("main", command, WriteOptions())
    assert result.transaction is not None
    assert [(p.source, p.amount) for p in result.transaction.postings] == [("b", 100), ("a", 50)]
    first, *rest = store.balance_queries
    assert first == {"a": {"USD"}, "b": {"USD"}}
    # Second attempt: one request with the sources and the destination, then nothing more
    # (the interpreter is answered from what that request locked).
    prelock: dict[str, Any] = {"a": {"USD"}, "b": {"USD"}, "z": {"USD"}}
    assert rest == [prelock]
