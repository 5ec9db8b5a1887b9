"""The v2 filter language: what parses into which AST, and what is rejected with which message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import ValidationError
from domain.ledger.query import (
    AddressPattern,
    And,
    Condition,
    Not,
    Operator,
    Or,
    Resource,
    filter_fields,
    format_datetime,
    parse_address_pattern,
    parse_datetime,
    parse_filter,
)


def reject(resource: str, query: object, *fragments: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse_filter(resource, query)
    assert info.value.code == "VALIDATION"
    for fragment in fragments:
        assert fragment in info.value.message, info.value.message
    return info.value.message


# --- Empty and logical nodes --------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "  ", b"", {}, "{}", b"{}"])
def test_no_filter_is_none(raw: object) -> None:
    assert parse_filter("transactions", raw) is None


def test_empty_and_or_are_kept_as_true_nodes() -> None:
    assert parse_filter("transactions", {"$and": []}) == And(())
    assert parse_filter("transactions", {"$or": []}) == Or(())


def test_nested_logic_parses_to_the_ast() -> None:
    f = parse_filter(
        "transactions",
        {
            "$and": [
                {"$match": {"account": "users:"}},
                {"$or": [{"$gt": {"id": 3}}, {"$not": {"$match": {"metadata[k]": "v"}}}]},
            ]
        },
    )
    assert f == And(
        (
            Condition(Operator.MATCH, "account", None, AddressPattern("users:", ("users", ""))),
            Or(
                (
                    Condition(Operator.GT, "id", None, 3),
                    Not(Condition(Operator.MATCH, "metadata", "k", "v")),
                )
            ),
        )
    )


def test_json_text_and_bytes_are_accepted() -> None:
    expected = Condition(Operator.MATCH, "reference", None, "r1")
    assert parse_filter("transactions", '{"$match": {"reference": "r1"}}') == expected
    assert parse_filter("transactions", b'{"$match": {"reference": "r1"}}') == expected


def test_several_fields_in_one_operator_mean_all_of_them() -> None:
    f = parse_filter("logs", {"$match": {"id": 1, "type": "NEW_TRANSACTION"}})
    assert f == And(
        (
            Condition(Operator.MATCH, "id", None, 1),
            Condition(Operator.MATCH, "type", None, "NEW_TRANSACTION"),
        )
    )


@pytest.mark.parametrize(
    ("query", "fragments"),
    [
        ("{not json", ["malformed JSON"]),
        ("[1]", ["expected an object with exactly one operator", "an array"]),
        ({"$match": {"id": 1}, "$lt": {"id": 2}}, ["exactly one operator", "2 keys"]),
        ({"$and": {}}, ["$and expects an array", "an object"]),
        ({"$or": "x"}, ["$or expects an array", "string 'x'"]),
        ({"$and": [{}]}, ["query.$and[0]", "an empty object"]),
        ({"$not": []}, ["query.$not", "an array"]),
        ({"$eq": {"id": 1}}, ["unknown operator '$eq'", "$match"]),
        ({"$match": {}}, ["$match expects an object of field: value", "an object"]),
        ({"$match": 3}, ["$match expects an object", "integer 3"]),
        ('{"$match": {"id": 1}, "$match": {"id": 2}}', ["duplicate key '$match'"]),
    ],
)
def test_malformed_nodes(query: object, fragments: list[str]) -> None:
    reject("transactions", query, *fragments)


def test_depth_is_bounded() -> None:
    node: dict[str, object] = {"$match": {"id": 1}}
    for _ in range(40):
        node = {"$not": node}
    reject("transactions", node, "nested deeper than")


# --- Fields and operators per resource ----------------------------------------------------------

VALID = {
    "transactions": [
        {"$match": {"id": 1}}, {"$lt": {"id": 1}}, {"$lte": {"id": 1}}, {"$gt": {"id": 1}},
        {"$gte": {"id": 1}}, {"$in": {"id": [1, 2]}},
        {"$match": {"reference": "r"}}, {"$like": {"reference": "r%"}},
        {"$in": {"reference": ["a", "b"]}},
        {"$gte": {"timestamp": "2024-01-01T00:00:00Z"}},
        {"$lt": {"inserted_at": "2024-01-01T00:00:00Z"}},
        {"$lte": {"updated_at": "2024-01-01T00:00:00Z"}},
        {"$gt": {"reverted_at": "2024-01-01T00:00:00Z"}},
        {"$match": {"reverted": True}},
        {"$match": {"account": "a:b"}}, {"$match": {"source": "a:"}},
        {"$match": {"destination": "a:..."}}, {"$in": {"account": ["a", "b:c"]}},
        {"$like": {"source": "users:%"}},
        {"$match": {"metadata[k]": "v"}}, {"$like": {"metadata[k]": "v%"}},
        {"$in": {"metadata[k]": ["v"]}}, {"$exists": {"metadata[k]": False}},
        {"$exists": {"metadata": "k"}},
    ],
    "accounts": [
        {"$match": {"address": "a::c"}}, {"$in": {"address": ["a"]}},
        {"$like": {"address": "a%"}},
        {"$gt": {"first_usage": "2024-01-01T00:00:00Z"}},
        {"$match": {"insertion_date": "2024-01-01T00:00:00Z"}},
        {"$lte": {"updated_at": "2024-01-01T00:00:00Z"}},
        {"$gt": {"balance": 0}}, {"$lt": {"balance[USD/2]": -5}},
        {"$match": {"balance[EUR_CENT/2]": 0}}, {"$exists": {"balance[USD]": True}},
        {"$match": {"metadata[k]": "v"}}, {"$exists": {"metadata": "k"}},
    ],
    "volumes": [
        {"$match": {"address": "a:"}}, {"$match": {"account": "a:..."}},
        {"$gte": {"balance": 1}}, {"$lt": {"balance[USD]": 1}},
        {"$lt": {"first_usage": "2024-01-01T00:00:00Z"}}, {"$match": {"metadata[k]": "v"}},
    ],
    "logs": [
        {"$match": {"id": 1}}, {"$gt": {"date": "2024-01-01T00:00:00Z"}},
        {"$match": {"type": "NEW_TRANSACTION"}}, {"$in": {"type": ["SET_METADATA"]}},
    ],
    "ledgers": [
        {"$match": {"name": "l1"}}, {"$like": {"bucket": "b%"}},
        {"$match": {"metadata[k]": "v"}}, {"$match": {"features[HASH_LOGS]": "SYNC"}},
        {"$exists": {"features[HASH_LOGS]": True}},
    ],
}


@pytest.mark.parametrize(
    ("resource", "query"), [(r, q) for r, qs in VALID.items() for q in qs]
)
def test_valid_leaves(resource: str, query: dict[str, object]) -> None:
    f = parse_filter(resource, query)
    assert isinstance(f, Condition)


@pytest.mark.parametrize(
    ("resource", "query", "fragments"),
    [
        ("transactions", {"$like": {"id": "1"}}, ["operator $like is not allowed on field 'id'",
                                                  "allowed: $match, $lt"]),
        ("transactions", {"$lt": {"reference": "a"}}, ["$lt is not allowed", "'reference'"]),
        ("transactions", {"$gt": {"reverted": True}}, ["$gt is not allowed", "'reverted'"]),
        ("transactions", {"$lt": {"account": "a"}}, ["$lt is not allowed", "'account'"]),
        ("transactions", {"$in": {"timestamp": []}}, ["$in is not allowed", "'timestamp'"]),
        ("transactions", {"$exists": {"id": True}}, ["$exists is not allowed", "'id'"]),
        ("transactions", {"$match": {"metadata": "k"}}, ["$match is not allowed", "metadata[key]"]),
        ("transactions", {"$lt": {"metadata[k]": "v"}}, ["$lt is not allowed"]),
        ("transactions", {"$match": {"balance": 1}}, ["unknown field 'balance' for transactions",
                                                      "expected one of account"]),
        ("transactions", {"$match": {"id[1]": 1}}, ["field 'id' takes no key"]),
        ("accounts", {"$match": {"reference": "r"}}, ["unknown field 'reference' for accounts"]),
        ("accounts", {"$like": {"balance": 1}}, ["$like is not allowed", "'balance'"]),
        ("accounts", {"$gt": {"balance[usd]": 1}}, ["invalid asset 'usd'"]),
        ("ledgers", {"$match": {"metadata": "x"}}, ["needs a key", "metadata[key]"]),
        ("ledgers", {"$match": {"features": "x"}}, ["needs a key"]),
        ("logs", {"$match": {"address": "a"}}, ["unknown field 'address' for logs"]),
        ("volumes", {"$match": {"reference": "a"}}, ["unknown field 'reference' for volumes"]),
        ("transactions", {"$match": {"1bad": 1}}, ["unknown field '1bad'"]),
    ],
)
def test_field_and_operator_errors(resource: str, query: object, fragments: list[str]) -> None:
    reject(resource, query, *fragments)


def test_field_lists_are_documented_in_errors() -> None:
    assert filter_fields(Resource.VOLUMES) == [
        "account", "address", "balance", "balance[...]", "first_usage", "metadata",
        "metadata[...]",
    ]


def test_camel_case_field_names_are_accepted() -> None:
    f = parse_filter("transactions", {"$gt": {"insertedAt": "2024-01-01T00:00:00Z"}})
    assert isinstance(f, Condition) and f.field == "inserted_at"


def test_volumes_account_is_an_alias_of_address() -> None:
    f = parse_filter("volumes", {"$match": {"account": "a:b"}})
    assert isinstance(f, Condition) and f.field == "address"


# --- Value types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "described"),
    [(1.5, "number 1.5"), (1.0, "number 1.0"), (True, "boolean true"), ("1", "string '1'"),
     (None, "null"), ([1], "an array"), ({"a": 1}, "an object")],
)
def test_integers_must_be_json_integers(value: object, described: str) -> None:
    reject("transactions", {"$gt": {"id": value}}, "$gt on 'id' expects an integer", described)
    reject("accounts", {"$gt": {"balance[USD]": value}}, "expects an integer", described)


def test_json_floats_in_text_are_rejected_too() -> None:
    reject("transactions", '{"$gt": {"id": 1e3}}', "expects an integer", "number 1000.0")
    reject("transactions", '{"$gt": {"id": 1.0}}', "expects an integer")


def test_big_balances_stay_exact_but_ids_are_64_bit() -> None:
    big = 10**40
    f = parse_filter("accounts", f'{{"$gt": {{"balance[USD]": {big}}}}}')
    assert isinstance(f, Condition) and f.value == big
    reject("transactions", {"$gt": {"id": 2**63}}, "out of the 64-bit range")
    assert parse_filter("transactions", {"$gt": {"id": 2**63 - 1}}) is not None


def test_in_checks_each_element() -> None:
    reject("transactions", {"$in": {"id": [1, "2"]}}, "$in on 'id'[1] expects an integer",
           "string '2'")
    reject("transactions", {"$in": {"reference": ["a", 1]}}, "expects a string", "integer 1")
    reject("transactions", {"$in": {"reference": "a"}}, "$in on 'reference' expects an array")
    f = parse_filter("transactions", {"$in": {"id": []}})
    assert f == Condition(Operator.IN, "id", None, ())


def test_bool_and_exists_values() -> None:
    reject("transactions", {"$match": {"reverted": "true"}}, "expects true or false")
    reject("transactions", {"$exists": {"metadata[k]": 1}}, "expects true or false")
    reject("transactions", {"$exists": {"metadata": True}}, "key name as a non-empty string")
    reject("transactions", {"$exists": {"metadata": ""}}, "non-empty string")


def test_strings_and_likes_must_be_strings() -> None:
    reject("transactions", {"$match": {"reference": 1}}, "expects a string", "integer 1")
    reject("transactions", {"$like": {"metadata[k]": None}}, "expects a string", "null")
    reject("transactions", {"$match": {"metadata[k]": 1}}, "expects a string")


def test_dates_parse_to_utc() -> None:
    f = parse_filter("transactions", {"$gte": {"timestamp": "2024-05-01T12:00:00+02:00"}})
    assert isinstance(f, Condition)
    assert f.value == datetime(2024, 5, 1, 10, tzinfo=UTC)
    reject("transactions", {"$gte": {"timestamp": "yesterday"}}, "invalid date 'yesterday'",
           "RFC3339")
    reject("transactions", {"$gte": {"timestamp": 1714557600}}, "expected an RFC3339 date string",
           "integer")
    reject("transactions", {"$gte": {"timestamp": "2024-05-01"}}, "invalid date")
    reject("transactions", {"$gte": {"timestamp": "2024-02-30T00:00:00Z"}}, "day is out of range")


# --- Address patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "segments", "subtree", "exact"),
    [
        ("users", ("users",), False, True),
        ("users:1:x", ("users", "1", "x"), False, True),
        ("users:", ("users", ""), False, False),
        (":main", ("", "main"), False, False),
        ("a::c", ("a", "", "c"), False, False),
        ("users:...", ("users",), True, False),
        ("...", (), True, False),
        (":...", ("",), True, False),
        ("a-b_c:D9", ("a-b_c", "D9"), False, True),
    ],
)
def test_address_patterns(raw: str, segments: tuple[str, ...], subtree: bool, exact: bool) -> None:
    p = parse_address_pattern(raw)
    assert (p.segments, p.subtree, p.is_exact) == (segments, subtree, exact)


@pytest.mark.parametrize("raw", ["", "a.b", "users:...:x", "a b", "a:*", "é"])
def test_invalid_address_patterns(raw: str) -> None:
    with pytest.raises(ValidationError):
        parse_address_pattern(raw)


def test_in_takes_exact_addresses_only() -> None:
    reject("accounts", {"$in": {"address": ["a:b", "users:"]}}, "exact addresses", "'users:'")
    reject("transactions", {"$in": {"source": ["a:..."]}}, "exact addresses")


def test_match_on_address_reports_the_bad_segment() -> None:
    reject("accounts", {"$match": {"address": "users:a.b"}}, "$match on 'address'",
           "segment 'a.b'")


# --- Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01t10:00:00z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00.123456789Z", datetime(2024, 5, 1, 10, 0, 0, 123457, tzinfo=UTC)),
        ("2024-05-01T10:00:00.1234564Z", datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T23:59:59.9999996Z", datetime(2024, 5, 2, tzinfo=UTC)),
        ("2024-05-01T10:00:00-05:30", datetime(2024, 5, 1, 15, 30, tzinfo=UTC)),
    ],
)
def test_parse_datetime_rounds_to_microseconds(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


def test_format_datetime_trims_zeros() -> None:
    assert format_datetime(datetime(2024, 5, 1, 10, tzinfo=UTC)) == "2024-05-01T10:00:00Z"
    assert (
        format_datetime(datetime(2024, 5, 1, 10, 0, 0, 123400, tzinfo=UTC))
        == "2024-05-01T10:00:00.1234Z"
    )
