"""Behaviour of the Numscript package beyond the reference vectors: errors (codes, kinds,
positions), feature flags, variables, metadata rendering, store batching and the program cache."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import pytest

from domain.numscript import (
    ExecutionResult,
    NumscriptError,
    Posting,
    StaticStore,
    compile_program,
    execute,
)
from domain.numscript import errors as e
from domain.numscript.cache import clear_cache
from domain.numscript.values import parse_portion

ALL_FEATURES = frozenset(
    {
        "experimental-oneof",
        "experimental-account-interpolation",
        "experimental-mid-script-function-call",
        "experimental-overdraft-function",
        "experimental-get-asset-function",
        "experimental-get-amount-function",
        "experimental-asset-colors",
        "experimental-asset-scaling",
    }
)


async def run(
    script: str,
    variables: Mapping[str, str] | None = None,
    balances: Mapping[str, Mapping[str, int]] | None = None,
    metadata: Mapping[str, Mapping[str, str]] | None = None,
    features: frozenset[str] = frozenset(),
) -> ExecutionResult:
    program = compile_program(script, features)
    return await execute(program, dict(variables or {}), StaticStore(balances, metadata))


async def fails(script: str, error: type[NumscriptError], **kw: object) -> NumscriptError:
    with pytest.raises(error) as info:
        await run(script, **kw)  # type: ignore[arg-type]
    return info.value


# --- errors: codes, kinds, positions ------------------------------------------------------------


async def test_missing_funds_has_insufficient_fund_code_and_position() -> None:
    err = await fails(
        "\n  send [USD/2 100] (source = @a destination = @b)", e.MissingFundsError, balances={}
    )
    assert err.code == "INSUFFICIENT_FUND"
    assert err.kind == "MissingFundsErr"
    assert isinstance(err, e.MissingFundsError)
    assert (err.line, err.column) == (2, 3)
    assert err.message.startswith("2:3: ")
    assert (err.asset, err.needed, err.available) == ("USD/2", 100, 0)


async def test_parse_error_names_position_and_token() -> None:
    err = await fails("send [COIN 10] (\n  source = @a\n  destinaton = @b\n)", e.ParseError)
    assert err.code == "COMPILATION_FAILED"
    assert err.kind == "ParserError"
    assert (err.line, err.column) == (3, 3)
    assert "'destinaton'" in err.message


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ("vars { money $x }", e.InvalidTypeError),
        ("vars { number $x number $x }", e.DuplicateVariableError),
        ('set_tx_meta("k", $nope)', e.UnboundVariableError),
        ("vars { number $a = $b\n number $b }", e.UnboundVariableError),
        ('set_tx_meta("k", frobnicate(1))', e.UnboundFunctionError),
        ("balance(@a, COIN)", e.UnboundFunctionError),
        ('set_tx_meta("k", set_tx_meta("a", 1))', e.UnboundFunctionError),
        ('set_tx_meta("k")', e.BadArityError),
        ("vars { monetary $m = balance(@a) }", e.BadArityError),
        ('#![feature("experimental-nope")]\nset_tx_meta("k", 1)', e.InvalidFeatureError),
        ("send [COIN 1] (source = @a destination = { })", e.ParseError),
        ("send [COIN 1] (source = { 1/2 from @a @b } destination = @c)", e.ParseError),
        ("send [COIN 1] (source = @a destination = { max [COIN 1] to @b })", e.ParseError),
        ("send [COIN 1] (source = @a destination = @b", e.ParseError),
        ("send [COIN 1_] (source = @a destination = @b)", e.ParseError),
        ("send [COIN 1__0] (source = @a destination = @b)", e.ParseError),
        ("send [COIN 10] * 2 (source = @a destination = @b)", e.ParseError),
        ('set_tx_meta("k", 1) #![feature("experimental-oneof")]', e.ParseError),
        ("/* never closed", e.ParseError),
    ],
)
async def test_compile_errors(script: str, error: type[NumscriptError]) -> None:
    with pytest.raises(error) as info:
        compile_program(script)
    assert info.value.code == "COMPILATION_FAILED"
    assert info.value.line is not None


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ("send [COIN -1] (source = @world destination = @b)", e.NegativeAmountError),
        ("save [COIN -1] from @a", e.NegativeAmountError),
        (
            "send [COIN 10] (source = @world destination = { 1/2 to @a 1/3 to @b })",
            e.InvalidAllotmentSumError,
        ),
        (
            "send [COIN 10] (source = @world destination = { 2/3 to @a 2/3 to @b remaining kept })",
            e.InvalidAllotmentSumError,
        ),
        ("send [COIN *] (source = @world destination = @b)", e.InvalidUnboundedInSendAllError),
        (
            "send [COIN *] (source = @a allowing unbounded overdraft destination = @b)",
            e.InvalidUnboundedInSendAllError,
        ),
        (
            "send [COIN *] (source = { 1/2 from @a remaining from @b } destination = @c)",
            e.InvalidAllotmentInSendAllError,
        ),
        ("send [COIN 1] + [USD 1] (source = @world destination = @b)", e.MismatchedCurrencyError),
        (
            "send [COIN 1] (source = @a allowing overdraft up to [USD 1] destination = @b)",
            e.MismatchedCurrencyError,
        ),
        ('send [COIN 1] (source = @world destination = "b")', e.NumscriptTypeError),
        ("send [COIN 1] + 1 (source = @world destination = @b)", e.NumscriptTypeError),
        ('set_tx_meta("k", "a" + "b")', e.NumscriptTypeError),
        ('set_tx_meta("k", 1/0)', e.DivideByZeroError),
        (
            "send [COIN 1] (source = oneof { @world } destination = @b)",
            e.ExperimentalFeatureError,
        ),
        (
            'send [COIN 1] (source = @world \\ "RED" destination = @b)',
            e.ExperimentalFeatureError,
        ),
        ("send balance(@a, COIN) (source = @world destination = @b)", e.ExperimentalFeatureError),
        ("vars { number $x = 1 + 2 }", e.ExperimentalFeatureError),
        ("vars { monetary $x = overdraft(@a, COIN) }", e.ExperimentalFeatureError),
        ("vars { asset $x = get_asset([COIN 1]) }", e.ExperimentalFeatureError),
        ('set_tx_meta("k", @a:$x)\nvars { }', e.ParseError),
        (
            "send [COIN 1] (source = @a with scaling through @s destination = @b)",
            e.ExperimentalFeatureError,
        ),
        (
            "send [COIN 1] (source = @world destination = @b)\nsave [COIN 1] from 1",
            e.NumscriptTypeError,
        ),
    ],
)
async def test_run_time_errors(script: str, error: type[NumscriptError]) -> None:
    err = await fails(script, error, balances={"a": {"COIN": 5}})
    assert err.code == "COMPILATION_FAILED"
    assert err.line is not None and err.message.startswith(f"{err.line}:{err.column}: ")


async def test_error_kinds_cover_the_reference_names() -> None:
    kinds = {
        cls.kind
        for cls in vars(e).values()
        if isinstance(cls, type) and issubclass(cls, NumscriptError)
    }
    assert {
        "MissingFundsErr", "NegativeAmountErr", "InvalidAllotmentSum", "InvalidAllotmentInSendAll",
        "InvalidUnboundedInSendAll", "MismatchedCurrencyError", "TypeError", "UnboundVariableErr",
        "MissingVariableErr", "InvalidTypeErr", "UnboundFunctionErr", "BadArityErr",
        "MetadataNotFound", "InvalidNestedMeta", "NegativeBalanceError", "DivideByZero",
        "BadPortionParsingErr", "InvalidNumberLiteral", "InvalidMonetaryLiteral",
        "InvalidAccountName", "InvalidAsset", "CannotCastToString", "InvalidColor",
        "ExperimentalFeature", "InvalidFeature", "InvalidUnboundedAddressInScalingAddress",
        "QueryBalanceError", "QueryMetadataError", "InternalError", "ParserError",
    } <= kinds  # fmt: skip


async def test_experimental_flag_can_come_from_execute() -> None:
    program = compile_program("send [COIN 1] (source = oneof { @world } destination = @b)")
    result = await execute(program, {}, StaticStore(), frozenset({"experimental-oneof"}))
    assert result.postings == [Posting("world", "b", 1, "COIN")]


async def test_oneof_branch_error_propagates() -> None:
    script = (
        "send [COIN 1] (source = oneof { @a allowing overdraft up to 1 @world } destination = @b)"
    )
    await fails(script, e.NumscriptTypeError, features=ALL_FEATURES)


async def test_scaling_from_world_is_refused() -> None:
    script = "send [EUR/2 1] (source = @world with scaling through @swap destination = @b)"
    await fails(script, e.InvalidUnboundedAddressInScalingError, features=ALL_FEATURES)


async def test_errors_are_picklable() -> None:
    import pickle

    err = e.MissingFundsError("x", asset="A", needed=2, available=1, line=1, column=2)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.asset, copy.needed, copy.line, copy.message) == ("A", 2, 1, err.message)


# --- variables ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "raw", "error"),
    [
        ("number", "1.5", e.InvalidNumberLiteralError),
        ("number", "1_000", e.InvalidNumberLiteralError),
        ("number", "٣", e.InvalidNumberLiteralError),
        ("monetary", "USD/2  100", e.InvalidMonetaryLiteralError),
        ("monetary", "usd 100", e.InvalidMonetaryLiteralError),
        ("portion", "101%", e.BadPortionParsingError),
        ("portion", "3/2", e.BadPortionParsingError),
        ("portion", "1/0", e.BadPortionParsingError),
        ("portion", "half", e.BadPortionParsingError),
        ("account", "a::b", e.InvalidAccountNameError),
        ("account", "a b", e.InvalidAccountNameError),
        ("asset", "usd", e.InvalidAssetError),
        ("asset", "USD/1234567", e.InvalidAssetError),
    ],
)
async def test_bad_variable_values(type_: str, raw: str, error: type[NumscriptError]) -> None:
    err = await fails(f'vars {{ {type_} $x }}\nset_tx_meta("k", $x)', error, variables={"x": raw})
    assert err.code == "COMPILATION_FAILED"
    assert (err.line, err.column) == (1, 8)
    assert "$x" in err.message


async def test_missing_variable() -> None:
    err = await fails("vars { number $x }", e.MissingVariableError)
    assert "$x" in err.message


async def test_variable_with_origin_ignores_input_and_undeclared_inputs_are_ignored() -> None:
    script = 'vars { number $x = get_amount([COIN 7]) }\nset_tx_meta("k", $x)'
    result = await run(
        script,
        variables={"x": "1", "other": "!"},
        features=frozenset({"experimental-get-amount-function"}),
    )
    assert result.tx_metadata == {"k": "7"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("12.5%", Fraction(1, 8)), ("0.019%", Fraction(19, 100000)), ("1 / 3", Fraction(1, 3))],
)
def test_portion_formats(text: str, value: Fraction) -> None:
    assert parse_portion(text) == value


async def test_metadata_rendering() -> None:
    script = """
    vars { portion $p  monetary $m  account $a }
    set_tx_meta("p", $p)
    set_tx_meta("m", $m)
    set_tx_meta("neg", -[USD/2 5])
    set_tx_meta("a", $a)
    set_tx_meta("one", 1/1)
    set_tx_meta("zero", 0%)
    set_tx_meta("s", "a\\"b")
    set_account_meta($a, "k", 2/4)
    """
    result = await run(script, variables={"p": "50%", "m": "USD/2 100", "a": "users:1"})
    assert result.tx_metadata == {
        "p": "1/2",
        "m": "USD/2 100",
        "neg": "USD/2 -5",
        "a": "users:1",
        "one": "1/1",
        "zero": "0/1",
        "s": 'a\\"b',
    }
    assert result.account_metadata == {"users:1": {"k": "1/2"}}


async def test_meta_origin_errors() -> None:
    await fails('vars { account $x = meta(@a, "k") }', e.MetadataNotFoundError, metadata={})
    await fails(
        'vars { number $x = get_amount(meta(@a, "k")) }',
        e.InvalidNestedMetaError,
        features=ALL_FEATURES,
    )


async def test_account_interpolation_errors() -> None:
    script = 'vars { portion $p }\nset_tx_meta("k", @a:$p)'
    await fails(script, e.CannotCastToStringError, variables={"p": "1/2"}, features=ALL_FEATURES)
    script = 'vars { string $s }\nset_tx_meta("k", @a:$s)'
    await fails(script, e.InvalidAccountNameError, variables={"s": "x y"}, features=ALL_FEATURES)


async def test_invalid_colour_and_invalid_posting_asset() -> None:
    script = 'send [COIN 1] (source = @world \\ "red" destination = @b)'
    await fails(script, e.InvalidColorError, features=ALL_FEATURES)
    script = "send [ABCDEFGHIJKLMNOPQRSTUVWXYZ 1] (source = @world destination = @b)"
    err = await fails(script, e.InvalidPostingError)
    assert err.kind == "InternalError"


async def test_negative_balance_in_balance_function() -> None:
    await fails(
        "vars { monetary $m = balance(@a, COIN) }",
        e.NegativeBalanceError,
        balances={"a": {"COIN": -1}},
    )


# --- semantics details ----------------------------------------------------------------------------


async def test_rounding_gives_leftover_to_first_clauses_even_zero_ones() -> None:
    script = "send [COIN 2] (source = @world destination = { 0% to @z 1/2 to @a 1/2 to @b })"
    result = await run(script)
    # floor parts: 0, 1, 1 -> no leftover. With 3 units: 0, 1, 1 + 1 leftover to the 0 % clause.
    assert [(p.destination, p.amount) for p in result.postings] == [("a", 1), ("b", 1)]
    result = await run(script.replace("COIN 2", "COIN 3"))
    assert [(p.destination, p.amount) for p in result.postings] == [("z", 1), ("a", 1), ("b", 1)]


async def test_remaining_can_be_anywhere_and_kept_returns_earliest_funds() -> None:
    script = """send [COIN 10] (
      source = { @a @b }
      destination = { remaining kept 1/2 to @c }
    )"""
    result = await run(script, balances={"a": {"COIN": 5}, "b": {"COIN": 5}})
    assert result.postings == [Posting("b", "c", 5, "COIN")]


async def test_credits_are_spendable_by_later_statements_only() -> None:
    script = """
    send [COIN 5] (source = @world destination = @a)
    send [COIN 5] (source = @a destination = @b)
    """
    result = await run(script)
    assert result.postings[1] == Posting("a", "b", 5, "COIN")


async def test_coloured_postings_fold_the_colour_into_the_asset() -> None:
    script = 'send [USD/4 10] (source = @s \\ "COL" allowing unbounded overdraft destination = @d)'
    result = await run(script, features=ALL_FEATURES)
    assert result.postings == [Posting("s", "d", 10, "USD_COL/4", "COL")]


async def test_huge_amounts_stay_exact() -> None:
    amount = 10**60 + 1
    script = f"send [COIN {amount}] (source = @world destination = {{ 1/3 to @a remaining to @b }})"
    result = await run(script)
    assert sum(p.amount for p in result.postings) == amount
    assert result.postings[0].amount == amount // 3 + 1


# --- store batching -------------------------------------------------------------------------------


async def test_one_balance_query_for_the_whole_script() -> None:
    script = """
    vars { account $acc  monetary $initial = balance($acc, USD/2) }
    send [USD/2 100] (source = { $acc @c } destination = { max $initial to @b remaining to @d })
    send [USD/2 *] (source = { @d @c @e allowing overdraft up to [USD/2 5] } destination = @f)
    save [EUR 1] from @c
    """
    store = StaticStore({"A": {"USD/2": 40}, "c": {"USD/2": 90}})
    await execute(compile_program(script), {"acc": "A"}, store)
    assert store.balance_queries == [
        {"A": {"USD/2"}, "c": {"USD/2", "EUR"}, "d": {"USD/2"}, "e": {"USD/2"}}
    ]


async def test_world_and_unbounded_sources_are_not_fetched() -> None:
    script = """
    send [COIN 1] (source = @world destination = @a)
    send [COIN 1] (source = @b allowing unbounded overdraft destination = @a)
    """
    store = StaticStore()
    await execute(compile_program(script), {}, store)
    assert store.balance_queries == []


async def test_accounts_found_in_metadata_are_fetched_later_without_duplicates() -> None:
    script = """
    vars {
      account $sale
      account $seller = meta($sale, "seller")
      monetary $b = balance($seller, COIN)
    }
    send [COIN 1] (source = { $sale $seller } destination = @x)
    send [COIN 1] (source = { $seller $sale } destination = @x)
    """
    store = StaticStore({"s": {"COIN": 1}, "u": {"COIN": 5}}, {"s": {"seller": "u"}})
    result = await execute(compile_program(script), {"sale": "s"}, store)
    assert [p.source for p in result.postings] == ["s", "u"]
    assert store.metadata_queries == [{"s": {"seller"}}]
    seen: list[tuple[str, str]] = [
        (acc, asset) for q in store.balance_queries for acc, assets in q.items() for asset in assets
    ]
    assert len(seen) == len(set(seen)) == 2
    assert len(store.balance_queries) == 2


async def test_scaling_uses_a_wildcard_query() -> None:
    script = "send [EUR/2 100] (source = @a with scaling through @swap destination = @b)"
    store = StaticStore({"a": {"EUR": 1, "EUR_RED": 100, "EURO": 5}})
    result = await execute(compile_program(script, ALL_FEATURES), {}, store)
    assert store.balance_queries == [{"a": {"EUR/*"}}]
    assert result.postings == [
        Posting("a", "swap", 1, "EUR"),
        Posting("swap", "a", 100, "EUR/2"),
        Posting("a", "b", 100, "EUR/2"),
    ]


# --- cache ----------------------------------------------------------------------------------------


def test_compiled_programs_are_cached_by_text_and_features() -> None:
    clear_cache()
    text = "send [COIN 1] (source = @world destination = @a)"
    first = compile_program(text)
    assert compile_program(text) is first
    assert compile_program(text, frozenset({"experimental-oneof"})) is not first


async def test_a_program_can_run_concurrently() -> None:
    import asyncio

    program = compile_program("vars { account $a }\nsend [COIN 1] (source = $a destination = @b)")
    results = await asyncio.gather(
        *(execute(program, {"a": f"u{i}"}, StaticStore({f"u{i}": {"COIN": 1}})) for i in range(20))
    )
    assert [r.postings[0].source for r in results] == [f"u{i}" for i in range(20)]


async def test_unforeseeable_reads_are_fetched_on_demand_without_duplicates() -> None:
    # The collect pass sees balance() as 0, so it predicts @pool:0; the statement reads @pool:7.
    script = """
    vars { number $n = get_amount(balance(@counter, COIN)) }
    send [COIN 3] (source = { @pool:$n @world } destination = @b)
    """
    store = StaticStore({"counter": {"COIN": 7}, "pool:7": {"COIN": 2}})
    result = await execute(compile_program(script, ALL_FEATURES), {}, store)
    assert result.postings == [Posting("pool:7", "b", 2, "COIN"), Posting("world", "b", 1, "COIN")]
    seen = [(a, s) for q in store.balance_queries for a, assets in q.items() for s in assets]
    assert len(seen) == len(set(seen))
    assert ("pool:7", "COIN") in seen
