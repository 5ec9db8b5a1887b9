"""Page size, sort, expand, the opaque cursor and building pages from keyset rows."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.errors import ValidationError
from domain.ledger.query import (
    ListQuery,
    Page,
    Resource,
    Sort,
    decode_cursor,
    encode_cursor,
    key_columns,
    make_page,
    parse_bool,
    parse_expand,
    parse_int_param,
    parse_list_query,
    parse_page_size,
    parse_sort,
)

# --- pageSize -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 15), ("", 15), (" ", 15), ("0", 15), (0, 15), ("1", 1), ("15", 15), ("100", 100),
     ("101", 100), ("1000", 100), (5000, 100), (7, 7)],
)
def test_page_size(raw: str | int | None, expected: int) -> None:
    assert parse_page_size(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.5", "10x", "-1", -3, True])
def test_page_size_rejects(raw: str | int) -> None:
    with pytest.raises(ValidationError) as info:
        parse_page_size(raw)
    assert "pageSize" in info.value.message


# --- booleans, sort, expand ---------------------------------------------------------------------


def test_parse_int_param() -> None:
    assert parse_int_param(None, name="groupBy") is None
    assert parse_int_param("", name="groupBy") is None
    assert parse_int_param("3", name="groupBy") == 3
    assert parse_int_param(0, name="groupBy") == 0
    with pytest.raises(ValidationError, match="invalid groupBy 'x': expected an integer"):
        parse_int_param("x", name="groupBy")
    with pytest.raises(ValidationError, match="must be at least 0"):
        parse_int_param("-1", name="groupBy")


def test_parse_bool() -> None:
    assert parse_bool("true", name="reverse") is True
    assert parse_bool("1", name="reverse") is True
    assert parse_bool("False", name="reverse") is False
    assert parse_bool(None, name="reverse") is False
    with pytest.raises(ValidationError, match="invalid reverse 'maybe'"):
        parse_bool("maybe", name="reverse")


@pytest.mark.parametrize(
    ("resource", "expected"),
    [("transactions", Sort("id", True)), ("accounts", Sort("address", False)),
     ("logs", Sort("id", True)), ("ledgers", Sort("id", False)),
     ("volumes", Sort("address", False))],
)
def test_default_sorts(resource: str, expected: Sort) -> None:
    assert parse_sort(resource) == expected
    assert parse_sort(resource, "") == expected


def test_transactions_order_effective_and_reverse() -> None:
    assert parse_sort("transactions", reverse="true") == Sort("id", False)
    assert parse_sort("transactions", order="effective") == Sort("timestamp", True)
    assert parse_sort("transactions", order="effective", reverse=True) == Sort("timestamp", False)
    # An explicit sort wins over both.
    assert parse_sort("transactions", "id:desc", order="effective", reverse=True) == Sort(
        "id", True
    )
    with pytest.raises(ValidationError, match="only accepted value is effective"):
        parse_sort("transactions", order="newest")


@pytest.mark.parametrize(
    ("resource", "raw", "expected"),
    [
        ("transactions", "timestamp:asc", Sort("timestamp", False)),
        ("transactions", "insertedAt:desc", Sort("inserted_at", True)),
        ("transactions", "updated_at", Sort("updated_at", False)),
        ("transactions", "effective:desc", Sort("timestamp", True)),
        ("accounts", "firstUsage:DESC", Sort("first_usage", True)),
        ("accounts", "insertionDate:asc", Sort("insertion_date", False)),
        ("logs", "date:asc", Sort("date", False)),
        ("ledgers", "name:desc", Sort("name", True)),
        ("ledgers", "addedAt:asc", Sort("added_at", False)),
        ("volumes", "account:desc", Sort("address", True)),
    ],
)
def test_sort(resource: str, raw: str, expected: Sort) -> None:
    assert parse_sort(resource, raw) == expected


@pytest.mark.parametrize(
    ("resource", "raw", "fragment"),
    [
        ("transactions", "reference:asc", "'reference' is not sortable for transactions"),
        ("transactions", "metadata[x]:asc", "not sortable"),
        ("accounts", "balance:desc", "not sortable"),
        ("logs", "id:up", "must be asc or desc"),
        ("transactions", "revertedAt:asc", "not sortable"),
    ],
)
def test_sort_rejects(resource: str, raw: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_sort(resource, raw)
    assert fragment in info.value.message


def test_expand() -> None:
    assert parse_expand("transactions", "volumes,effectiveVolumes") == (
        "volumes", "effectiveVolumes",
    )
    assert parse_expand("accounts", ["volumes", "volumes,"]) == ("volumes",)
    assert parse_expand("accounts", None) == ()
    with pytest.raises(ValidationError, match="invalid expand 'balances'"):
        parse_expand("accounts", "balances")
    with pytest.raises(ValidationError, match=r"\(nothing\)"):
        parse_expand("logs", "volumes")


# --- The list query and its cursor --------------------------------------------------------------


def full_query() -> ListQuery:
    return parse_list_query(
        "transactions",
        page_size="2",
        order="effective",
        reverse="true",
        pit="2024-05-01T10:00:00.5+02:00",
        oot="2024-01-01T00:00:00Z",
        query='{"$and": [{"$match": {"account": "users:..."}}, {"$gt": {"id": 1}}]}',
        expand="volumes",
        options={"includeDeleted": True, "groupBy": 2, "x": None},
    )


def test_parse_list_query() -> None:
    q = full_query()
    assert q.page_size == 2
    assert q.sort == Sort("timestamp", False)
    assert q.pit == datetime(2024, 5, 1, 8, 0, 0, 500000, tzinfo=UTC)
    assert q.oot == datetime(2024, 1, 1, tzinfo=UTC)
    assert q.expand == ("volumes",)
    assert q.raw_filter == {"$and": [{"$match": {"account": "users:..."}}, {"$gt": {"id": 1}}]}
    assert q.filter is not None
    assert q.bound is None and q.reverse is False


def test_parse_list_query_errors_name_the_parameter() -> None:
    with pytest.raises(ValidationError, match="invalid pit"):
        parse_list_query("transactions", pit="soon")
    with pytest.raises(ValidationError, match="expected a JSON object"):
        parse_list_query("transactions", query="[]")


def test_cursor_round_trip_keeps_the_whole_query() -> None:
    q = full_query()
    bounded = replace(q, bound=(datetime(2024, 2, 1, tzinfo=UTC), 7), reverse=True)
    cursor = encode_cursor(bounded)
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor("transactions", cursor) == bounded


def test_cursor_is_base64url_json_with_the_formance_fields() -> None:
    q = replace(full_query(), bound=(datetime(2024, 2, 1, tzinfo=UTC), 7))
    state = json.loads(base64.urlsafe_b64decode(encode_cursor(q) + "=="))
    assert state["pageSize"] == 2
    assert state["column"] == "timestamp" and state["order"] == "asc"
    assert state["paginationID"] == ["2024-02-01T00:00:00Z", 7]
    assert state["filters"]["pit"] == "2024-05-01T08:00:00.5Z"
    assert state["filters"]["query"]["$and"][1] == {"$gt": {"id": 1}}
    assert state["filters"]["expand"] == ["volumes"]
    assert state["filters"]["options"] == {"includeDeleted": True, "groupBy": 2, "x": None}


def test_big_integers_survive_the_cursor() -> None:
    q = parse_list_query("accounts", query={"$gt": {"balance[USD]": 10**30}})
    again = decode_cursor("accounts", encode_cursor(q))
    assert again.raw_filter == {"$gt": {"balance[USD]": 10**30}}
    assert again.filter == q.filter


def test_a_cursor_overrides_every_parameter_but_page_size() -> None:
    q = full_query()
    cursor = encode_cursor(q)
    again = parse_list_query(
        "transactions", cursor=cursor, sort="id:desc", pit="2030-01-01T00:00:00Z",
        query={"$match": {"id": 99}}, expand="effectiveVolumes", reverse="false",
    )
    assert again == q
    assert parse_list_query("transactions", cursor=cursor, page_size="50").page_size == 50
    assert parse_list_query("transactions", cursor=cursor, page_size="").page_size == 2


def tamper(cursor: str, change: dict[str, object]) -> str:
    state = json.loads(base64.urlsafe_b64decode(cursor + "=="))
    state.update(change)
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "bad",
    [
        "garbage!!",
        "e30",  # {}
        "bm90IGpzb24",  # "not json"
        "",
        "WzFd",  # [1]
    ],
)
def test_garbage_cursors(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        decode_cursor("transactions", bad)
    assert info.value.message == "invalid cursor"


@pytest.mark.parametrize(
    "change",
    [
        {"resource": "accounts"},
        {"pageSize": 0},
        {"pageSize": 1000},
        {"pageSize": "15"},
        {"column": "reference"},
        {"order": "sideways"},
        {"paginationID": ["not a date", 1]},
        {"paginationID": ["2024-01-01T00:00:00Z"]},
        {"paginationID": ["2024-01-01T00:00:00Z", "7"]},
        {"reverse": "yes"},
        {"filters": {"query": {"$foo": {}}}},
        {"filters": {"pit": "soon"}},
        {"filters": {"expand": ["nope"]}},
        {"filters": {"unknown": 1}},
        {"extra": 1},
    ],
)
def test_tampered_cursors(change: dict[str, object]) -> None:
    q = replace(full_query(), bound=(datetime(2024, 2, 1, tzinfo=UTC), 7))
    with pytest.raises(ValidationError) as info:
        decode_cursor("transactions", tamper(encode_cursor(q), change))
    assert info.value.message == "invalid cursor"


# --- Pages from keyset rows ---------------------------------------------------------------------


def test_key_columns() -> None:
    assert key_columns(Resource.TRANSACTIONS, Sort("id", True)) == ("id",)
    assert key_columns(Resource.TRANSACTIONS, Sort("timestamp", True)) == ("timestamp", "id")
    assert key_columns(Resource.ACCOUNTS, Sort("address", False)) == ("address",)
    assert key_columns(Resource.ACCOUNTS, Sort("first_usage", False)) == ("first_usage", "address")
    assert key_columns(Resource.VOLUMES, Sort("address", False)) == ("address", "asset")
    assert key_columns(Resource.LEDGERS, Sort("name", False)) == ("name", "id")


def simulate(ids: list[int], q: ListQuery) -> tuple[list[int], str | None, str | None, bool]:
    """Run the keyset query over `ids` in memory, as storage's `paginate` does in SQL."""
    descending = q.sort.descending != q.reverse
    rows = sorted(ids, reverse=descending)
    if q.bound is not None:
        (b,) = q.bound
        assert isinstance(b, int)
        rows = [r for r in rows if (r < b if descending else r > b)]
    page = make_page(q, rows[: q.page_size + 1], lambda r: (r,))
    return page.data, page.next, page.previous, page.has_more


def test_walk_forward_and_back() -> None:
    ids = list(range(1, 8))  # 7 transactions, listed id desc, 3 per page
    q = parse_list_query("transactions", page_size=3)
    data, nxt, prev, more = simulate(ids, q)
    assert (data, prev, more) == ([7, 6, 5], None, True)
    assert nxt is not None
    data, nxt2, prev2, more = simulate(ids, decode_cursor("transactions", nxt))
    assert (data, more) == ([4, 3, 2], True)
    assert nxt2 is not None and prev2 is not None
    data, nxt3, prev3, more = simulate(ids, decode_cursor("transactions", nxt2))
    assert (data, nxt3, more) == ([1], None, False)
    assert prev3 is not None
    # Back from the last page: [4, 3, 2] again, then the first page, which has no previous.
    data, nxt4, prev4, more = simulate(ids, decode_cursor("transactions", prev3))
    assert (data, more) == ([4, 3, 2], True)
    assert nxt4 is not None and prev4 is not None
    data, nxt5, prev5, more = simulate(ids, decode_cursor("transactions", prev4))
    assert (data, prev5, more) == ([7, 6, 5], None, True)
    data, _, _, _ = simulate(ids, decode_cursor("transactions", nxt5 or ""))
    assert data == [4, 3, 2]


def test_exact_multiple_of_page_size_has_no_empty_last_page() -> None:
    q = parse_list_query("transactions", page_size=2, reverse=True)
    data, nxt, _, more = simulate([1, 2, 3, 4], q)
    assert (data, more) == ([1, 2], True)
    data, nxt, prev, more = simulate([1, 2, 3, 4], decode_cursor("transactions", nxt or ""))
    assert (data, nxt, more) == ([3, 4], None, False)
    assert prev is not None


def test_empty_result() -> None:
    page: Page[int] = make_page(parse_list_query("logs"), [], lambda r: (r,))
    assert page.envelope() == {"pageSize": 15, "hasMore": False, "data": []}


def test_envelope_renders_rows_and_cursors() -> None:
    q = parse_list_query("logs", page_size=1)
    page = make_page(q, [2, 1], lambda r: (r,))
    body = page.envelope(lambda r: {"id": r})
    assert body["data"] == [{"id": 2}] and body["hasMore"] is True
    assert "previous" not in body and decode_cursor("logs", body["next"]).bound == (2,)
