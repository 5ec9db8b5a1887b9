"""Compile the Ledger v2 filter AST (domain/ledger/query.py) into SQLAlchemy Core conditions over
the ledger tables, and add keyset pagination to a SELECT.

Null safety: every leaf compiles to a condition that is TRUE or FALSE, never NULL, so that `$not`
means "everything else" (a transaction without a reference is among `$not {$match: {reference:
"x"}}`), as a user reads it, instead of SQL's three-valued surprise.

Index use (see the report of the filter work for the full list):
- exact addresses on transactions: `sources @> ARRAY[x]` / `&&` (GIN on sources, destinations);
- address patterns on accounts: `address_array @> ARRAY[literal segments]` as a prefilter (GIN on
  address_array) plus positional checks; on transactions a regex over the unnested elements;
- `metadata[k]` $match: `metadata @> {"k": "v"}` (GIN jsonb_path_ops on metadata); `$exists`:
  `metadata ? k` (not served by that index: a scan of the ledger's rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB

from domain.ledger.query import (
    AddressPattern,
    And,
    Condition,
    Filter,
    ListQuery,
    Not,
    Operator,
    Or,
    Resource,
    key_columns,
)
from storage.ledger.tables import accounts, accounts_volumes, ledgers, logs, moves, transactions

Leaf = Callable[[Condition], ColumnElement[bool]]


def _compile(f: Filter | None, leaf: Leaf) -> ColumnElement[bool]:
    if f is None:
        return true()
    if isinstance(f, Condition):
        return leaf(f)
    if isinstance(f, Not):
        return not_(_compile(f.item, leaf))
    items = [_compile(item, leaf) for item in f.items]
    if not items:
        return true()  # Formance: an empty $and or $or selects everything.
    if isinstance(f, And):
        return and_(*items)
    assert isinstance(f, Or)
    return or_(*items)


def _unknown(c: Condition) -> AssertionError:
    # The parser only produces fields and operators the resource accepts.
    return AssertionError(f"no SQL for {c.op} on {c.field}")


# --- Generic leaves ---------------------------------------------------------------------------


def _compare(col: ColumnElement[Any], c: Condition, value: Any = None) -> ColumnElement[bool]:
    """$match/$lt/$lte/$gt/$gte/$in/$like on a scalar column; `value` overrides c.value (e.g. a
    Decimal for numerics)."""
    v = c.value if value is None else value
    if c.op is Operator.MATCH:
        return col == v
    if c.op is Operator.LT:
        return col < v
    if c.op is Operator.LTE:
        return col <= v
    if c.op is Operator.GT:
        return col > v
    if c.op is Operator.GTE:
        return col >= v
    if c.op is Operator.IN:
        assert isinstance(v, tuple | list)
        return col.in_(list(v))
    if c.op is Operator.LIKE:
        return col.like(v)
    raise _unknown(c)


def _nullable(col: ColumnElement[Any], cond: ColumnElement[bool]) -> ColumnElement[bool]:
    """A comparison on a nullable column that is FALSE (not NULL) when the column is NULL."""
    return and_(col.isnot(None), cond)


def _numeric(c: Condition) -> Any:
    # Balances are unbounded integers; a Decimal binds as numeric without float rounding.
    if isinstance(c.value, tuple):
        return tuple(Decimal(v) for v in c.value)
    assert isinstance(c.value, int)
    return Decimal(c.value)


def _map_leaf(col: ColumnElement[Any], c: Condition) -> ColumnElement[bool]:
    """A string map in a jsonb column: metadata[k], features[k]; plain `metadata` $exists."""
    if c.key is None:
        assert c.op is Operator.EXISTS and isinstance(c.value, str)
        has: ColumnElement[bool] = col.has_key(c.value)
        return has
    if c.op is Operator.EXISTS:
        present: ColumnElement[bool] = col.has_key(c.key)
        return present if c.value else not_(present)
    if c.op is Operator.MATCH:
        # Containment, not `->>` equality: a GIN index on the column serves it.
        return col.contains(bindparam(None, {c.key: c.value}, type_=JSONB))
    text = col[c.key].astext
    return _nullable(text, _compare(text, c))


# --- Address patterns ---------------------------------------------------------------------------


def address_regex(pattern: AddressPattern) -> str:
    """A PostgreSQL regex equivalent to the pattern, for the columns without an address array."""
    parts = [_regex_literal(s) if s else "[^:]+" for s in pattern.segments]
    body = ":".join(parts)
    if pattern.subtree:
        # `users:...` is `users` and everything below it.
        return f"^{body}(:.*)?$" if parts else "^.*$"
    return f"^{body}$"


def _regex_literal(segment: str) -> str:
    # Segments are validated as [A-Za-z0-9_-]+; escape the rest anyway (ARE: `\` + non-alnum).
    return "".join(ch if ch.isalnum() or ch == "_" else "\\" + ch for ch in segment)


def _address_on_array(
    address: ColumnElement[str], array: ColumnElement[Any], pattern: AddressPattern
) -> ColumnElement[bool]:
    """Pattern match over an address and its segments array (accounts, moves)."""
    if pattern.is_exact:
        return address == pattern.raw
    n = len(pattern.segments)
    literals = [s for s in pattern.segments if s]
    conds: list[ColumnElement[bool]] = []
    if literals:
        # Not positional, but GIN-indexable: narrows the rows the positional checks look at.
        conds.append(array.contains(literals))
    conds.extend(array[i + 1] == s for i, s in enumerate(pattern.segments) if s)
    if pattern.subtree:
        if n:
            conds.append(func.cardinality(array) >= n)
    else:
        conds.append(func.cardinality(array) == n)
    return and_(*conds) if conds else true()


def _address_on_text(address: ColumnElement[str], c: Condition) -> ColumnElement[bool]:
    """Address leaf over a plain address column (volumes rows)."""
    if c.op is Operator.MATCH:
        assert isinstance(c.value, AddressPattern)
        if c.value.is_exact:
            return address == c.value.raw
        return address.regexp_match(address_regex(c.value))
    return _compare(address, c)


def _any_element(array: ColumnElement[Any], pred: Callable[[Any], Any]) -> ColumnElement[bool]:
    """EXISTS (SELECT FROM unnest(array) AS e(addr) WHERE pred(addr))."""
    elements = func.unnest(array).table_valued("addr").render_derived()
    return exists(select(literal(1)).select_from(elements).where(pred(elements.c.addr)))


def _address_in_arrays(arrays: Sequence[ColumnElement[Any]], c: Condition) -> ColumnElement[bool]:
    """Transactions' source/destination/account: any element of the arrays matches."""
    if c.op is Operator.IN:
        assert isinstance(c.value, tuple)
        values = [str(v) for v in c.value]
        return or_(*(a.overlap(values) for a in arrays)) if values else false()
    if c.op is Operator.LIKE:
        return or_(*(_any_element(a, lambda e: e.like(c.value)) for a in arrays))
    assert c.op is Operator.MATCH and isinstance(c.value, AddressPattern)
    pattern = c.value
    if pattern.is_exact:
        # `@>` on a one-element array: the GIN index on sources/destinations serves it.
        return or_(*(a.contains([pattern.raw]) for a in arrays))
    regex = address_regex(pattern)
    return or_(*(_any_element(a, lambda e: e.regexp_match(regex)) for a in arrays))


# --- Transactions -------------------------------------------------------------------------------

_TX_DATES = {
    "timestamp": transactions.c.timestamp,
    "inserted_at": transactions.c.inserted_at,
    "updated_at": transactions.c.updated_at,
}


def transactions_filter(
    f: Filter | None, *, pit: datetime | None = None, oot: datetime | None = None
) -> ColumnElement[bool]:
    """WHERE condition over `transactions` for the filter, plus `timestamp <= pit` and
    `timestamp >= oot`. At a pit, `reverted` means reverted at or before pit. Metadata is
    matched as it is now (the schema keeps no metadata history)."""
    t = transactions.c

    def leaf(c: Condition) -> ColumnElement[bool]:
        if c.field == "id":
            return _compare(t.id, c)
        if c.field in _TX_DATES:
            return _compare(_TX_DATES[c.field], c)
        if c.field == "reverted_at":
            return _nullable(t.reverted_at, _compare(t.reverted_at, c))
        if c.field == "reference":
            return _nullable(t.reference, _compare(t.reference, c))
        if c.field == "reverted":
            reverted: ColumnElement[bool] = t.reverted_at.isnot(None)
            if pit is not None:
                reverted = and_(reverted, t.reverted_at <= pit)
            return reverted if c.value else not_(reverted)
        if c.field == "source":
            return _address_in_arrays([t.sources], c)
        if c.field == "destination":
            return _address_in_arrays([t.destinations], c)
        if c.field == "account":
            return _address_in_arrays([t.sources, t.destinations], c)
        if c.field == "metadata":
            return _map_leaf(t.metadata, c)
        raise _unknown(c)

    conds = [_compile(f, leaf)]
    if pit is not None:
        conds.append(t.timestamp <= pit)
    if oot is not None:
        conds.append(t.timestamp >= oot)
    return and_(*conds)


# --- Accounts -----------------------------------------------------------------------------------


def _balance_exists_now(
    ledger: ColumnElement[str], address: ColumnElement[str], c: Condition
) -> ColumnElement[bool]:
    v = accounts_volumes.c
    conds: list[ColumnElement[bool]] = [v.ledger == ledger, v.address == address]
    if c.key is not None:
        conds.append(v.asset == c.key)
    if c.op is not Operator.EXISTS:
        conds.append(_compare(v.input - v.output, c, _numeric(c)))
    found = exists(select(literal(1)).where(*conds))
    return found if c.op is not Operator.EXISTS or c.value else not_(found)


def _balance_exists_at(
    ledger: ColumnElement[str],
    address: ColumnElement[str],
    c: Condition,
    pit: datetime,
    use_insertion_date: bool,
) -> ColumnElement[bool]:
    """Balance at pit: from the latest move of each asset at or before pit, its post-commit
    effective volumes (ordered by effective date) or, with use_insertion_date, its post-commit
    volumes (ordered by insertion date); ties go to the later insertion (seq)."""
    m = moves.alias("m")
    later = moves.alias("m_later")
    date_col, later_date = (
        (m.c.insertion_date, later.c.insertion_date)
        if use_insertion_date
        else (m.c.effective_date, later.c.effective_date)
    )
    if use_insertion_date:
        balance = m.c.post_commit_volumes_input - m.c.post_commit_volumes_output
    else:
        balance = (
            m.c.post_commit_effective_volumes_input - m.c.post_commit_effective_volumes_output
        )
    newer = exists(
        select(literal(1)).where(
            later.c.ledger == m.c.ledger,
            later.c.account_address == m.c.account_address,
            later.c.asset == m.c.asset,
            later_date <= pit,
            tuple_(later_date, later.c.seq) > tuple_(date_col, m.c.seq),
        )
    )
    conds: list[ColumnElement[bool]] = [
        m.c.ledger == ledger,
        m.c.account_address == address,
        date_col <= pit,
    ]
    if c.key is not None:
        conds.append(m.c.asset == c.key)
    if c.op is Operator.EXISTS:
        found = exists(select(literal(1)).where(*conds))
        return found if c.value else not_(found)
    conds.extend([not_(newer), _compare(balance, c, _numeric(c))])
    return exists(select(literal(1)).where(*conds))


def accounts_filter(
    f: Filter | None, *, pit: datetime | None = None, use_insertion_date: bool = False
) -> ColumnElement[bool]:
    """WHERE condition over `accounts`. With a pit: only accounts first used at or before it, and
    balance filters read the balance at pit from `moves` (effective date, or insertion date with
    use_insertion_date as the aggregate-balances endpoint allows). `balance[ASSET]` compares that
    asset's balance (no volumes in it: no match); plain `balance` matches if any asset does."""
    a = accounts.c

    def leaf(c: Condition) -> ColumnElement[bool]:
        if c.field == "address":
            if c.op is Operator.MATCH:
                assert isinstance(c.value, AddressPattern)
                return _address_on_array(a.address, a.address_array, c.value)
            return _compare(a.address, c)
        if c.field in ("first_usage", "insertion_date", "updated_at"):
            return _compare(a[c.field], c)
        if c.field == "metadata":
            return _map_leaf(a.metadata, c)
        if c.field == "balance":
            if pit is None:
                return _balance_exists_now(a.ledger, a.address, c)
            return _balance_exists_at(a.ledger, a.address, c, pit, use_insertion_date)
        raise _unknown(c)

    cond = _compile(f, leaf)
    return and_(cond, a.first_usage <= pit) if pit is not None else cond


# --- Volumes ------------------------------------------------------------------------------------


def volumes_filter(
    f: Filter | None,
    *,
    ledger: ColumnElement[str] | str,
    address: ColumnElement[str],
    asset: ColumnElement[str],
    balance: ColumnElement[Any],
) -> ColumnElement[bool]:
    """WHERE condition over a volumes row source (one row per account and asset, current volumes
    or moves summed over a window: the caller builds it and passes its columns). `balance` and
    `balance[ASSET]` compare the row's balance (the latter only rows of that asset); `address`
    (alias `account`) matches the row's address; `first_usage` and `metadata` are the account's,
    through EXISTS on `accounts`."""
    a = accounts.c
    ledger_expr: ColumnElement[str] = literal(ledger) if isinstance(ledger, str) else ledger

    def account_has(cond: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists(
            select(literal(1)).where(a.ledger == ledger_expr, a.address == address, cond)
        )

    def leaf(c: Condition) -> ColumnElement[bool]:
        if c.field == "address":
            return _address_on_text(address, c)
        if c.field == "balance":
            if c.key is None:
                return _compare(balance, c, _numeric(c))
            of_asset = asset == c.key
            if c.op is Operator.EXISTS:
                return of_asset if c.value else not_(of_asset)
            return and_(of_asset, _compare(balance, c, _numeric(c)))
        if c.field == "first_usage":
            return account_has(_compare(a.first_usage, c))
        if c.field == "metadata":
            return account_has(_map_leaf(a.metadata, c))
        raise _unknown(c)

    return _compile(f, leaf)


# --- Logs and ledgers ---------------------------------------------------------------------------


def logs_filter(
    f: Filter | None, *, pit: datetime | None = None, oot: datetime | None = None
) -> ColumnElement[bool]:
    """WHERE condition over `logs`, plus `date <= pit` and `date >= oot`."""
    lc = logs.c

    def leaf(c: Condition) -> ColumnElement[bool]:
        if c.field in ("id", "date", "type"):
            return _compare(lc[c.field], c)
        raise _unknown(c)

    conds = [_compile(f, leaf)]
    if pit is not None:
        conds.append(lc.date <= pit)
    if oot is not None:
        conds.append(lc.date >= oot)
    return and_(*conds)


def ledgers_filter(f: Filter | None) -> ColumnElement[bool]:
    """WHERE condition over `ledgers` (deleted ledgers are the caller's business)."""
    lc = ledgers.c

    def leaf(c: Condition) -> ColumnElement[bool]:
        if c.field in ("name", "bucket"):
            return _compare(lc[c.field], c)
        if c.field == "metadata":
            return _map_leaf(lc.metadata, c)
        if c.field == "features":
            return _map_leaf(lc.features, c)
        raise _unknown(c)

    return _compile(f, leaf)


# --- Keyset pagination --------------------------------------------------------------------------

SORT_COLUMNS: dict[Resource, dict[str, ColumnElement[Any]]] = {
    Resource.TRANSACTIONS: {
        "id": transactions.c.id,
        "timestamp": transactions.c.timestamp,
        "inserted_at": transactions.c.inserted_at,
        "updated_at": transactions.c.updated_at,
    },
    Resource.ACCOUNTS: {
        "address": accounts.c.address,
        "first_usage": accounts.c.first_usage,
        "insertion_date": accounts.c.insertion_date,
        "updated_at": accounts.c.updated_at,
    },
    Resource.LOGS: {"id": logs.c.id, "date": logs.c.date},
    Resource.LEDGERS: {
        "id": ledgers.c.id,
        "name": ledgers.c.name,
        "bucket": ledgers.c.bucket,
        "added_at": ledgers.c.added_at,
    },
    # Volumes come from a row source the caller builds: pass its `address` and `asset` columns.
}


def paginate(
    stmt: Select[Any], q: ListQuery, columns: Mapping[str, ColumnElement[Any]] | None = None
) -> Select[Any]:
    """Add the page boundary, ORDER BY and LIMIT page_size + 1 to `stmt` (keyset pagination on
    the sort column then the tie-breaker). Hand the rows to `domain.ledger.query.make_page`:
    for a `previous` cursor the rows come back in reverse order, which make_page undoes.
    `columns` maps the key column names (`key_columns(q.resource, q.sort)`) to SQL columns;
    it defaults to SORT_COLUMNS for the table-backed resources."""
    cols_map = columns if columns is not None else SORT_COLUMNS[q.resource]
    cols = [cols_map[name] for name in key_columns(q.resource, q.sort)]
    # A `previous` page is read backwards from its boundary, then flipped by make_page.
    descending = q.sort.descending != q.reverse
    if q.bound is not None:
        bound = [bindparam(None, v, type_=col.type) for col, v in zip(cols, q.bound, strict=True)]
        row, at = tuple_(*cols), tuple_(*bound)
        stmt = stmt.where(row < at if descending else row > at)
    order = [col.desc() if descending else col.asc() for col in cols]
    return stmt.order_by(*order).limit(q.page_size + 1)
