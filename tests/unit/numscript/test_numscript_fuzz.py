"""Hostile input: whatever the text, the package raises only NumscriptError subclasses, never a
RecursionError, and refuses oversized scripts quickly."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.numscript import NumscriptError, StaticStore, compile_program, execute
from domain.numscript.errors import InputTooLargeError, NestingTooDeepError
from domain.numscript.parser import MAX_SCRIPT_BYTES

FEATURES = frozenset(
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

# Fragments of the language, so that random soups often get deep into the parser and the
# interpreter instead of failing on the first character.
FRAGMENTS = [
    "send", "save", "vars", "source", "destination", "=", "(", ")", "{", "}", "[", "]", "*",
    "from", "to", "max", "remaining", "kept", "allowing", "unbounded", "overdraft", "up",
    "oneof", "with", "scaling", "through", "\\", ",", "+", "-", "/", "@world", "@a", "@b:c",
    "@u:$n", "$n", "$m", "$p", "$a", "COIN", "USD/2", "EUR/3", "0", "1", "7", "100", "-3",
    "1/3", "50%", "12.5%", '"k"', '"RED"', "number", "monetary", "portion", "account", "asset",
    "string", "balance", "meta", "overdraft", "get_asset", "get_amount", "set_tx_meta",
    "set_account_meta", "#![feature(\"experimental-oneof\")]", "\n", " ", "//c\n", "/* c */",
]  # fmt: skip
VARS_HEADER = "vars { number $n monetary $m portion $p account $a }\n"
INPUTS = {"n": "3", "m": "COIN 5", "p": "1/3", "a": "a"}
BALANCES = {"a": {"COIN": 10, "USD/2": 3, "EUR": 1}, "b:c": {"COIN": 4}}


def _run(text: str) -> None:
    try:
        program = compile_program(text, FEATURES)
    except NumscriptError:
        return
    with contextlib.suppress(NumscriptError):
        asyncio.run(execute(program, INPUTS, StaticStore(BALANCES, {"a": {"k": "1"}})))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_numscript_errors(text: str) -> None:
    _run(text)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60), st.booleans())
def test_token_soup_raises_only_numscript_errors(parts: list[str], with_vars: bool) -> None:
    _run((VARS_HEADER if with_vars else "") + " ".join(parts))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=20),
    st.sampled_from(
        [
            "send [COIN 10] (source = {} destination = @b)",
            "send [COIN *] (source = {} destination = @b)",
            "send [COIN 10] (source = @a destination = {})",
            'set_tx_meta("k", {})',
        ]
    ),
)
def test_fragments_in_valid_frames(parts: list[str], frame: str) -> None:
    _run(VARS_HEADER + frame.format(" ".join(parts)))


N = 10_000


@pytest.mark.parametrize(
    "text",
    [
        'set_tx_meta("k", ' + "(" * N + "1" + ")" * N + ")",
        'set_tx_meta("k", ' + "-" * N + "1)",
        'set_tx_meta("k", ' + "+".join(["1"] * N) + ")",
        'vars { number $n }\nset_tx_meta("k", ' + "+".join(["$n"] * N) + ")",
        "send [COIN 1] (source = " + "{" * N + "@a" + "}" * N + " destination = @b)",
        "send [COIN 1] (source = " + "max [COIN 1] from " * N + "@a destination = @b)",
        "send [COIN 1] (source = " + "oneof {" * N + "@a" + "}" * N + " destination = @b)",
        "send [COIN 1] (source = @a destination = " + "{ remaining to " * N + "@b" + "}" * N + ")",
        "send [COIN 1] (source = @a destination = "
        + "{ max [COIN 1] to " * N
        + "@b"
        + "}" * N
        + ")",
        'set_tx_meta("k", ' + "[COIN " * N + "1" + "]" * N + ")",
        'set_tx_meta("k", ' + "get_amount(" * N + "1" + ")" * N + ")",
        "/*" * N + "*/" * N + 'set_tx_meta("k", 1)',
    ],
    ids=[
        "parens",
        "unary",
        "sum-chain",
        "var-chain",
        "inorder",
        "max",
        "oneof",
        "dest-allot",
        "dest-inorder",
        "monetary",
        "calls",
        "comments",
    ],
)
def test_deep_nesting_raises_a_clear_error(text: str) -> None:
    try:
        program = compile_program(text, FEATURES)
    except NestingTooDeepError as err:
        assert err.code == "COMPILATION_FAILED"
        assert "nest" in err.message
        return
    except NumscriptError:
        return
    # Nested comments are fine: they are skipped iteratively.
    asyncio.run(execute(program, {"n": "1"}, StaticStore()))


def test_nesting_within_the_limit_works() -> None:
    depth = 40
    text = 'set_tx_meta("k", ' + "(" * depth + "1" + ")" * depth + ")"
    result = asyncio.run(execute(compile_program(text), {}, StaticStore()))
    assert result.tx_metadata == {"k": "1"}


def test_huge_input_is_refused_fast() -> None:
    text = 'set_tx_meta("k", 1)\n' * (MAX_SCRIPT_BYTES // 20 + 10)
    assert len(text) > MAX_SCRIPT_BYTES
    started = time.perf_counter()
    with pytest.raises(InputTooLargeError) as info:
        compile_program(text)
    assert time.perf_counter() - started < 0.1
    assert str(MAX_SCRIPT_BYTES) in info.value.message


def test_input_just_below_the_limit_is_handled_in_bounded_time() -> None:
    text = 'set_tx_meta("k", 1)\n' * (MAX_SCRIPT_BYTES // 21)
    started = time.perf_counter()
    program = compile_program(text)
    asyncio.run(execute(program, {}, StaticStore()))
    assert time.perf_counter() - started < 10


def test_huge_number_literal_is_refused() -> None:
    with pytest.raises(NumscriptError):
        compile_program('set_tx_meta("k", ' + "9" * 5000 + ")")
