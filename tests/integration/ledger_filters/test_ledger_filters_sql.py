"""The filter compiler against real PostgreSQL: a small ledger inserted straight into the tables,
and for each filter the exact rows it selects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Select, insert, select

from domain.ledger.query import decode_cursor, make_page, parse_filter, parse_list_query
from storage.database import Database
from storage.ledger.filters import (
    accounts_filter,
    address_regex,
    ledgers_filter,
    logs_filter,
    paginate,
    transactions_filter,
    volumes_filter,
)
from storage.ledger.tables import (
    accounts,
    accounts_volumes,
    ledgers,
    logs,
    moves,
    transactions,
)

L = "main"
OTHER = "other"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


ADDRESSES = [
    "world", "users", "users:1", "users:2", "users:1:x", "users:2:main", "bank:main",
    "a:b:c", "a:x:c", "a:b:d",
]
ACCOUNT_METADATA = {
    "users:1": {"role": "admin", "tier": "gold"},
    "users:2": {"role": "user"},
    "bank:main": {"kind": "bank"},
}
# (address, asset, input, output) in ledger `main`
VOLUMES = [
    ("world", "USD", 0, 1070),
    ("users:1", "USD", 500, 100),
    ("users:1", "EUR", 10, 10),
    ("users:2", "USD", 50, 0),
    ("users:1:x", "USD", 0, 30),
    ("bank:main", "USD", 130, 0),
    ("users", "USD", 10**30, 0),
]
# (id, timestamp h, sources, destinations, reference, metadata, reverted_at h)
TRANSACTIONS: list[tuple[int, float, list[str], list[str], str | None, dict[str, str],
                         float | None]] = [
    (1, 1, ["world"], ["users:1"], "r1", {"a": "1"}, None),
    (2, 2, ["users:1"], ["users:2"], None, {"a": "2", "b": "x"}, None),
    (3, 3, ["users:1:x"], ["bank:main"], "r3", {}, 10),
    (4, 4, ["bank:main"], ["a:b:c", "a:x:c"], None, {"b": "y"}, None),
    (5, 4, ["world"], ["users"], "r5", {"a": "5"}, None),
]


@pytest.fixture
async def db(database: Database) -> Database:
    async with database.transaction() as conn:
        await conn.execute(insert(ledgers), [
            {"name": L, "bucket": "_default", "metadata": {"env": "prod", "team": "core"},
             "features": {"HASH_LOGS": "SYNC", "MOVES_HISTORY": "ON"}, "added_at": at(0)},
            {"name": OTHER, "bucket": "b2", "metadata": {"env": "dev"},
             "features": {"HASH_LOGS": "DISABLED", "MOVES_HISTORY": "ON"}, "added_at": at(1)},
            {"name": "third", "bucket": "b2", "metadata": {},
             "features": {"HASH_LOGS": "ASYNC"}, "added_at": at(2)},
        ])
        await conn.execute(insert(accounts), [
            {"ledger": L, "address": a, "address_array": a.split(":"),
             "metadata": ACCOUNT_METADATA.get(a, {}), "first_usage": at(i),
             "insertion_date": at(i + 0.5), "updated_at": at(i + 1)}
            for i, a in enumerate(ADDRESSES)
        ] + [
            # The same addresses in another ledger, with data that would match if a subquery
            # forgot to correlate on the ledger.
            {"ledger": OTHER, "address": "users:2", "address_array": ["users", "2"],
             "metadata": {"role": "admin"}, "first_usage": at(0), "insertion_date": at(0),
             "updated_at": at(0)},
        ])
        await conn.execute(insert(accounts_volumes), [
            {"ledger": L, "address": a, "asset": s, "input": Decimal(i), "output": Decimal(o)}
            for a, s, i, o in VOLUMES
        ] + [
            {"ledger": OTHER, "address": "users:2", "asset": "EUR", "input": 5, "output": 0},
        ])
        await conn.execute(insert(transactions), [
            {"ledger": L, "id": i, "timestamp": at(ts), "inserted_at": at(ts + 0.25),
             "updated_at": at(ts + 0.5), "reverted_at": None if rv is None else at(rv),
             "reference": ref, "postings": [], "metadata": md, "sources": src,
             "destinations": dst}
            for i, ts, src, dst, ref, md, rv in TRANSACTIONS
        ] + [
            {"ledger": OTHER, "id": 1, "timestamp": at(1), "inserted_at": at(1),
             "updated_at": at(1), "reverted_at": None, "reference": "r1", "postings": [],
             "metadata": {"a": "1"}, "sources": ["world"], "destinations": ["users:1"]},
        ])
        # Moves of users:1 USD and users:2 USD. users:2's second move is back-dated: inserted at
        # 5h with effective date 0.5h, so insertion order and effective order differ.
        def move(seq: int, addr: str, amount: int, inserted: float, effective: float,
                 pcv: tuple[int, int], pcev: tuple[int, int],
                 ledger: str = L) -> dict[str, Any]:
            return {
                "ledger": ledger, "seq": seq, "transaction_id": seq, "account_address": addr,
                "account_address_array": addr.split(":"), "asset": "USD", "amount": amount,
                "is_source": False, "insertion_date": at(inserted), "effective_date": at(effective),
                "post_commit_volumes_input": pcv[0], "post_commit_volumes_output": pcv[1],
                "post_commit_effective_volumes_input": pcev[0],
                "post_commit_effective_volumes_output": pcev[1],
            }

        await conn.execute(insert(moves), [
            move(1, "users:1", 500, 1, 1, (500, 0), (500, 0)),
            move(2, "users:1", 100, 3, 3, (500, 100), (500, 100)),
            move(3, "users:2", 30, 2, 2, (30, 0), (50, 0)),
            move(4, "users:2", 20, 5, 0.5, (50, 0), (20, 0)),
            move(5, "users:2", 999, 0, 0, (999, 0), (999, 0), ledger=OTHER),
        ])
        await conn.execute(insert(logs), [
            {"ledger": L, "id": i, "type": t, "data": {}, "date": at(i)}
            for i, t in enumerate(
                ["NEW_TRANSACTION", "NEW_TRANSACTION", "SET_METADATA", "REVERTED_TRANSACTION",
                 "DELETE_METADATA"], start=1)
        ])
    return database


async def fetch(db: Database, stmt: Select[Any]) -> list[Any]:
    async with db.transaction() as conn:
        return [row[0] for row in (await conn.execute(stmt)).all()]


async def tx_ids(db: Database, query: object, **kw: Any) -> list[int]:
    cond = transactions_filter(parse_filter("transactions", query), **kw)
    stmt = select(transactions.c.id).where(transactions.c.ledger == L, cond)
    return sorted(await fetch(db, stmt))


async def account_addresses(db: Database, query: object, **kw: Any) -> list[str]:
    cond = accounts_filter(parse_filter("accounts", query), **kw)
    stmt = select(accounts.c.address).where(accounts.c.ledger == L, cond)
    return sorted(await fetch(db, stmt))


def m(field: str, value: object) -> dict[str, Any]:
    return {"$match": {field: value}}


# --- Transactions -------------------------------------------------------------------------------

TX_CASES: list[tuple[object, list[int]]] = [
    (None, [1, 2, 3, 4, 5]),
    ({"$and": []}, [1, 2, 3, 4, 5]),
    ({"$or": []}, [1, 2, 3, 4, 5]),
    (m("id", 2), [2]),
    ({"$lt": {"id": 3}}, [1, 2]),
    ({"$lte": {"id": 3}}, [1, 2, 3]),
    ({"$gt": {"id": 3}}, [4, 5]),
    ({"$gte": {"id": 3}}, [3, 4, 5]),
    ({"$in": {"id": [1, 5, 99]}}, [1, 5]),
    ({"$in": {"id": []}}, []),
    (m("reference", "r3"), [3]),
    ({"$like": {"reference": "r%"}}, [1, 3, 5]),
    ({"$in": {"reference": ["r1", "r5", "zz"]}}, [1, 5]),
    # Null references are "not r3" too.
    ({"$not": m("reference", "r3")}, [1, 2, 4, 5]),
    (m("timestamp", "2024-01-01T04:00:00Z"), [4, 5]),
    ({"$lt": {"timestamp": "2024-01-01T03:00:00Z"}}, [1, 2]),
    ({"$gte": {"timestamp": "2024-01-01T05:00:00+02:00"}}, [3, 4, 5]),
    ({"$gt": {"inserted_at": "2024-01-01T03:00:00Z"}}, [3, 4, 5]),
    ({"$lte": {"updated_at": "2024-01-01T02:30:00Z"}}, [1, 2]),
    ({"$lt": {"reverted_at": "2024-01-01T11:00:00Z"}}, [3]),
    ({"$not": {"$lt": {"reverted_at": "2024-01-01T11:00:00Z"}}}, [1, 2, 4, 5]),
    (m("reverted", True), [3]),
    (m("reverted", False), [1, 2, 4, 5]),
    # Address patterns over sources/destinations.
    (m("account", "users:"), [1, 2]),
    (m("account", "users:1:x"), [3]),
    (m("account", "users"), [5]),
    (m("account", "users:..."), [1, 2, 3, 5]),
    (m("account", ":main"), [3, 4]),
    (m("destination", ":main"), [3]),
    (m("source", ":main"), [4]),
    (m("destination", "a::c"), [4]),
    (m("source", "a::c"), []),
    (m("account", "..."), [1, 2, 3, 4, 5]),
    (m("account", "::"), [3, 4]),
    (m("source", "world"), [1, 5]),
    (m("destination", "world"), []),
    (m("destination", "a:x:c"), [4]),
    (m("account", "users:1"), [1, 2]),
    ({"$in": {"account": ["users", "bank:main"]}}, [3, 4, 5]),
    ({"$in": {"source": ["users", "bank:main"]}}, [4]),
    ({"$like": {"source": "users%"}}, [2, 3]),
    ({"$like": {"account": "%:c"}}, [4]),
    # Metadata.
    (m("metadata[a]", "2"), [2]),
    (m("metadata[a]", "nope"), []),
    ({"$like": {"metadata[a]": "%"}}, [1, 2, 5]),
    ({"$in": {"metadata[b]": ["x", "y"]}}, [2, 4]),
    ({"$not": m("metadata[a]", "1")}, [2, 3, 4, 5]),
    ({"$exists": {"metadata": "b"}}, [2, 4]),
    ({"$exists": {"metadata[a]": True}}, [1, 2, 5]),
    ({"$exists": {"metadata[a]": False}}, [3, 4]),
    ({"$not": {"$exists": {"metadata": "a"}}}, [3, 4]),
    # Nested logic.
    ({"$and": [m("account", "users:..."), {"$gt": {"id": 1}}]}, [2, 3, 5]),
    ({"$or": [m("source", "world"), m("reverted", True)]}, [1, 3, 5]),
    ({"$and": [{"$or": [m("id", 1), m("id", 4)]}, {"$not": m("metadata[b]", "y")}]}, [1]),
    ({"$not": {"$and": [m("source", "world"), {"$not": m("id", 5)}]}}, [2, 3, 4, 5]),
    ({"$and": [{"$or": []}, {"$not": {"$and": []}}]}, []),
    ({"$match": {"source": "world", "reference": "r5"}}, [5]),
]


@pytest.mark.parametrize(("query", "expected"), TX_CASES)
async def test_transactions(db: Database, query: object, expected: list[int]) -> None:
    assert await tx_ids(db, query) == expected


async def test_transactions_pit_oot_and_reverted_at_pit(db: Database) -> None:
    assert await tx_ids(db, None, pit=at(3)) == [1, 2, 3]
    assert await tx_ids(db, None, oot=at(3)) == [3, 4, 5]
    assert await tx_ids(db, None, pit=at(3), oot=at(2)) == [2, 3]
    # Transaction 3 is reverted at 10h: at 5h it was not yet.
    assert await tx_ids(db, m("reverted", True), pit=at(5)) == []
    assert await tx_ids(db, m("reverted", False), pit=at(5)) == [1, 2, 3, 4, 5]
    assert await tx_ids(db, m("reverted", True), pit=at(10)) == [3]


async def test_other_ledgers_are_not_mixed_in(db: Database) -> None:
    cond = transactions_filter(parse_filter("transactions", m("reference", "r1")))
    assert await fetch(db, select(transactions.c.ledger).where(cond).order_by("ledger")) == [
        L, OTHER,
    ]


# --- Accounts -----------------------------------------------------------------------------------

ACCOUNT_CASES: list[tuple[object, list[str]]] = [
    (m("address", "users:"), ["users:1", "users:2"]),
    (m("address", "users:1:x"), ["users:1:x"]),
    (m("address", "users"), ["users"]),
    (m("address", "users:..."), ["users", "users:1", "users:1:x", "users:2", "users:2:main"]),
    (m("address", ":main"), ["bank:main"]),
    (m("address", "a::c"), ["a:b:c", "a:x:c"]),
    (m("address", "a:b:..."), ["a:b:c", "a:b:d"]),
    (m("address", "::"), ["a:b:c", "a:b:d", "a:x:c", "users:1:x", "users:2:main"]),
    (m("address", ":"), ["bank:main", "users:1", "users:2"]),
    (m("address", "..."), sorted(ADDRESSES)),
    (m("address", "nobody"), []),
    ({"$in": {"address": ["world", "bank:main", "ghost"]}}, ["bank:main", "world"]),
    ({"$like": {"address": "a:%:c"}}, ["a:b:c", "a:x:c"]),
    ({"$not": m("address", "users:...")}, ["a:b:c", "a:b:d", "a:x:c", "bank:main", "world"]),
    (m("first_usage", "2024-01-01T02:00:00Z"), ["users:1"]),
    ({"$lt": {"first_usage": "2024-01-01T02:00:00Z"}}, ["users", "world"]),
    ({"$gte": {"insertion_date": "2024-01-01T08:00:00Z"}}, ["a:b:d", "a:x:c"]),
    ({"$lte": {"updated_at": "2024-01-01T02:00:00Z"}}, ["users", "world"]),
    ({"$gt": {"updated_at": "2024-01-01T09:00:00Z"}}, ["a:b:d"]),
    # Balances: current volumes, per asset or any asset.
    ({"$gt": {"balance[USD]": 0}}, ["bank:main", "users", "users:1", "users:2"]),
    ({"$lt": {"balance[USD]": 0}}, ["users:1:x", "world"]),
    ({"$match": {"balance[USD]": 400}}, ["users:1"]),
    ({"$lte": {"balance[USD]": 50}}, ["users:1:x", "users:2", "world"]),
    ({"$gte": {"balance[USD]": 10**30}}, ["users"]),
    ({"$gt": {"balance[USD]": 10**30}}, []),
    ({"$match": {"balance[EUR]": 0}}, ["users:1"]),
    # users:2 has EUR in the other ledger only.
    ({"$gt": {"balance[EUR]": 0}}, []),
    ({"$exists": {"balance[EUR]": True}}, ["users:1"]),
    ({"$exists": {"balance[EUR]": False}}, sorted(set(ADDRESSES) - {"users:1"})),
    ({"$match": {"balance": 0}}, ["users:1"]),
    ({"$lt": {"balance": 0}}, ["users:1:x", "world"]),
    ({"$in": {"balance": [50, 130]}}, ["bank:main", "users:2"]),
    # Accounts without any USD volume are not "balance[USD] <= 0" and are "not > 0".
    ({"$not": {"$gt": {"balance[USD]": 0}}}, ["a:b:c", "a:b:d", "a:x:c", "users:1:x",
                                              "users:2:main", "world"]),
    # Metadata.
    (m("metadata[role]", "admin"), ["users:1"]),
    (m("metadata[role]", "user"), ["users:2"]),
    ({"$exists": {"metadata": "role"}}, ["users:1", "users:2"]),
    ({"$exists": {"metadata[kind]": True}}, ["bank:main"]),
    ({"$in": {"metadata[role]": ["user", "x"]}}, ["users:2"]),
    ({"$like": {"metadata[tier]": "g%"}}, ["users:1"]),
    ({"$and": [m("address", "users:"), {"$not": m("metadata[role]", "admin")}]}, ["users:2"]),
    ({"$or": [m("address", ":main"), {"$gt": {"balance[USD]": 100}}]},
     ["bank:main", "users", "users:1"]),
]


@pytest.mark.parametrize(("query", "expected"), ACCOUNT_CASES)
async def test_accounts(db: Database, query: object, expected: list[str]) -> None:
    assert await account_addresses(db, query) == expected


async def test_account_balances_at_a_point_in_time(db: Database) -> None:
    usd = {"$gt": {"balance[USD]": 0}}
    # Before any move: nobody has a balance, and pit also hides accounts first used later.
    assert await account_addresses(db, None, pit=at(1)) == ["users", "world"]
    assert await account_addresses(db, usd, pit=at(0.25)) == []
    # users:2's latest move by effective date is the one at 2h (PCEV 50), not the back-dated one.
    assert await account_addresses(db, {"$match": {"balance[USD]": 20}}, pit=at(5)) == []
    everyone = at(100)
    assert await account_addresses(db, {"$match": {"balance[USD]": 500}}, pit=at(2.5)) == [
        "users:1",
    ]
    assert await account_addresses(db, {"$match": {"balance[USD]": 400}}, pit=everyone) == [
        "users:1",
    ]
    assert await account_addresses(db, {"$match": {"balance[USD]": 50}}, pit=everyone) == [
        "users:2",
    ]
    # At 2.5h: effective order says users:2 has 50 (20 back-dated + 30); insertion order says 30
    # (the back-dated move was not inserted yet).
    at_2_5 = at(2.5)
    q50 = {"$match": {"balance[USD]": 50}}
    q30 = {"$match": {"balance[USD]": 30}}
    assert await account_addresses(db, q50, pit=at_2_5) == []  # first_usage of users:2 is 3h
    assert await account_addresses(db, q50, pit=at(3)) == ["users:2"]
    assert await account_addresses(db, q30, pit=at(3)) == []
    assert await account_addresses(db, q30, pit=at(3), use_insertion_date=True) == ["users:2"]
    assert await account_addresses(db, q50, pit=at(5), use_insertion_date=True) == ["users:2"]
    # Plain balance at pit: any asset; $exists at pit.
    assert await account_addresses(db, {"$gte": {"balance": 400}}, pit=at(3)) == ["users:1"]
    assert await account_addresses(db, {"$gte": {"balance": 450}}, pit=at(3)) == []
    assert await account_addresses(
        db, {"$exists": {"balance[USD]": True}}, pit=at(3), use_insertion_date=True
    ) == ["users:1", "users:2"]
    assert await account_addresses(
        db, {"$exists": {"balance[USD]": False}}, pit=at(1)
    ) == ["users", "world"]


# --- Volumes ------------------------------------------------------------------------------------


async def volume_rows(db: Database, query: object) -> list[tuple[str, str]]:
    v = accounts_volumes.c
    rows = (
        select(v.ledger, v.address, v.asset, (v.input - v.output).label("balance"))
        .where(v.ledger == L)
        .subquery("vol")
    )
    cond = volumes_filter(
        parse_filter("volumes", query), ledger=L, address=rows.c.address, asset=rows.c.asset,
        balance=rows.c.balance,
    )
    async with db.transaction() as conn:
        result = await conn.execute(select(rows.c.address, rows.c.asset).where(cond))
        return sorted((r[0], r[1]) for r in result.all())


VOLUME_CASES: list[tuple[object, list[tuple[str, str]]]] = [
    (m("account", "users:"), [("users:1", "EUR"), ("users:1", "USD"), ("users:2", "USD")]),
    (m("address", "users:1:x"), [("users:1:x", "USD")]),
    (m("address", "users"), [("users", "USD")]),
    (m("address", "users:..."), [("users", "USD"), ("users:1", "EUR"), ("users:1", "USD"),
                                 ("users:1:x", "USD"), ("users:2", "USD")]),
    (m("address", ":main"), [("bank:main", "USD")]),
    ({"$gt": {"balance": 100}}, [("bank:main", "USD"), ("users", "USD"), ("users:1", "USD")]),
    ({"$match": {"balance[EUR]": 0}}, [("users:1", "EUR")]),
    ({"$lt": {"balance[USD]": 0}}, [("users:1:x", "USD"), ("world", "USD")]),
    ({"$exists": {"balance[EUR]": True}}, [("users:1", "EUR")]),
    (m("metadata[role]", "admin"), [("users:1", "EUR"), ("users:1", "USD")]),
    # users:2 is an admin only in the other ledger.
    (m("metadata[role]", "user"), [("users:2", "USD")]),
    ({"$lt": {"first_usage": "2024-01-01T02:00:00Z"}}, [("users", "USD"), ("world", "USD")]),
    ({"$and": [m("address", "users:..."), {"$not": {"$match": {"balance[USD]": 400}}}]},
     [("users", "USD"), ("users:1", "EUR"), ("users:1:x", "USD"), ("users:2", "USD")]),
]


@pytest.mark.parametrize(("query", "expected"), VOLUME_CASES)
async def test_volumes(db: Database, query: object, expected: list[tuple[str, str]]) -> None:
    assert await volume_rows(db, query) == expected


# --- Logs and ledgers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kw", "expected"),
    [
        (m("type", "NEW_TRANSACTION"), {}, [1, 2]),
        ({"$in": {"type": ["SET_METADATA", "DELETE_METADATA"]}}, {}, [3, 5]),
        ({"$like": {"type": "%METADATA"}}, {}, [3, 5]),
        ({"$gt": {"id": 3}}, {}, [4, 5]),
        ({"$lte": {"date": "2024-01-01T02:00:00Z"}}, {}, [1, 2]),
        (None, {"pit": at(3)}, [1, 2, 3]),
        (None, {"pit": at(4), "oot": at(2)}, [2, 3, 4]),
    ],
)
async def test_logs(db: Database, query: object, kw: dict[str, Any], expected: list[int]) -> None:
    cond = logs_filter(parse_filter("logs", query), **kw)
    stmt = select(logs.c.id).where(logs.c.ledger == L, cond).order_by(logs.c.id)
    assert await fetch(db, stmt) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, [L, OTHER, "third"]),
        (m("name", L), [L]),
        ({"$like": {"name": "%h%"}}, [OTHER, "third"]),
        (m("bucket", "b2"), [OTHER, "third"]),
        ({"$in": {"bucket": ["_default"]}}, [L]),
        (m("metadata[env]", "prod"), [L]),
        ({"$exists": {"metadata[env]": False}}, ["third"]),
        (m("features[HASH_LOGS]", "DISABLED"), [OTHER]),
        ({"$exists": {"features[MOVES_HISTORY]": True}}, [L, OTHER]),
        ({"$not": m("features[MOVES_HISTORY]", "ON")}, ["third"]),
    ],
)
async def test_ledgers(db: Database, query: object, expected: list[str]) -> None:
    stmt = select(ledgers.c.name).where(ledgers_filter(parse_filter("ledgers", query)))
    assert await fetch(db, stmt.order_by(ledgers.c.id)) == expected


def test_address_regexes() -> None:
    from domain.ledger.query import parse_address_pattern as p

    assert address_regex(p("users:")) == "^users:[^:]+$"
    assert address_regex(p("users:...")) == "^users(:.*)?$"
    assert address_regex(p("a::c")) == "^a:[^:]+:c$"
    assert address_regex(p("a-b:")) == "^a\\-b:[^:]+$"
    assert address_regex(p("...")) == "^.*$"


# --- Keyset pagination --------------------------------------------------------------------------


async def walk(
    db: Database, first: Any, base: Select[Any], key: Any, cols: Any = None,
    resource: str = "transactions",
) -> tuple[list[list[Any]], list[list[Any]]]:
    """Follow `next` to the end, then `previous` back to the start; return both page lists."""
    forward: list[list[Any]] = []
    q = first
    while True:
        async with db.transaction() as conn:
            rows = (await conn.execute(paginate(base, q, cols))).all()
        page = make_page(q, rows, key)
        forward.append([r[0] for r in page.data])
        if page.next is None:
            break
        q = decode_cursor(resource, page.next)
    backward = [forward[-1]]
    while page.previous is not None:
        q = decode_cursor(resource, page.previous)
        async with db.transaction() as conn:
            rows = (await conn.execute(paginate(base, q, cols))).all()
        page = make_page(q, rows, key)
        backward.append([r[0] for r in page.data])
    return forward, backward


async def test_paginate_transactions_by_id_with_a_filter(db: Database) -> None:
    q = parse_list_query("transactions", page_size=2, query=m("account", "users:..."))
    base = select(transactions.c.id).where(
        transactions.c.ledger == L, transactions_filter(q.filter, pit=q.pit, oot=q.oot)
    )
    forward, backward = await walk(db, q, base, lambda r: (r.id,))
    assert forward == [[5, 3], [2, 1]]
    assert backward == [[2, 1], [5, 3]]


async def test_paginate_on_timestamp_breaks_ties_on_id(db: Database) -> None:
    # Transactions 4 and 5 share a timestamp; each appears exactly once in each direction.
    for reverse, expected in [("false", [[5, 4], [3, 2], [1]]), ("true", [[1, 2], [3, 4], [5]])]:
        q = parse_list_query("transactions", page_size=2, order="effective", reverse=reverse)
        base = select(transactions.c.id, transactions.c.timestamp).where(
            transactions.c.ledger == L
        )
        forward, backward = await walk(db, q, base, lambda r: (r.timestamp, r.id))
        assert forward == expected
        assert backward == expected[::-1]


async def test_paginate_accounts_ledgers_logs_and_volumes(db: Database) -> None:
    q = parse_list_query("accounts", page_size=4, sort="address:desc")
    base = select(accounts.c.address).where(accounts.c.ledger == L)
    forward, _ = await walk(db, q, base, lambda r: (r.address,), resource="accounts")
    assert [a for page in forward for a in page] == sorted(ADDRESSES, reverse=True)
    assert [len(p) for p in forward] == [4, 4, 2]

    q = parse_list_query("ledgers", page_size=2, sort="bucket:asc")
    base = select(ledgers.c.name, ledgers.c.bucket, ledgers.c.id)
    forward, backward = await walk(db, q, base, lambda r: (r.bucket, r.id), resource="ledgers")
    assert forward == [[L, OTHER], ["third"]]
    assert backward == [["third"], [L, OTHER]]

    q = parse_list_query("logs", page_size=3)
    base = select(logs.c.id).where(logs.c.ledger == L)
    forward, _ = await walk(db, q, base, lambda r: (r.id,), resource="logs")
    assert forward == [[5, 4, 3], [2, 1]]

    v = accounts_volumes.c
    q = parse_list_query("volumes", page_size=3, query=m("address", "users:..."))
    rows = select(v.address, v.asset, (v.input - v.output).label("balance")).where(
        v.ledger == L).subquery()
    base = select(rows.c.address, rows.c.asset).where(
        volumes_filter(q.filter, ledger=L, address=rows.c.address, asset=rows.c.asset,
                       balance=rows.c.balance))
    forward, backward = await walk(
        db, q, base, lambda r: (r.address, r.asset),
        cols={"address": rows.c.address, "asset": rows.c.asset}, resource="volumes",
    )
    assert forward == [["users", "users:1", "users:1"], ["users:1:x", "users:2"]]
    assert backward == forward[::-1]
