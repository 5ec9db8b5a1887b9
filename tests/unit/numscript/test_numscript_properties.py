"""Properties over random valid programs and balances: postings conserve each asset and the sent
amount, accounts without overdraft never end negative, bounded overdrafts hold, and executions
are deterministic."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.numscript import (
    ExecutionResult,
    MissingFundsError,
    StaticStore,
    compile_program,
    execute,
)
from domain.numscript.errors import InvalidAllotmentInSendAllError, InvalidUnboundedInSendAllError

ACCOUNTS = ["a", "b", "c", "d", "e"]
ASSET = "COIN"

account = st.sampled_from(ACCOUNTS).map(lambda a: "@" + a)
small = st.integers(min_value=0, max_value=60)


def portions(n: int) -> st.SearchStrategy[list[str]]:
    """n portions written as fractions or percentages; the last clause may be ``remaining``."""

    @st.composite
    def build(draw: st.DrawFn) -> list[str]:
        cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n - 1, max_size=n - 1)))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        written = [f"{s}%" if draw(st.booleans()) else f"{s}/100" if s else "0%" for s in shares]
        if draw(st.booleans()):
            written[draw(st.integers(0, n - 1))] = "remaining"
        return written

    return build()


leaf_source = st.one_of(
    account,
    account,
    st.tuples(account, small).map(lambda t: f"{t[0]} allowing overdraft up to [{ASSET} {t[1]}]"),
)


def compound_sources(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    inorder = st.lists(children, min_size=1, max_size=3).map(lambda xs: "{ " + " ".join(xs) + " }")
    capped = st.tuples(small, children).map(lambda t: f"max [{ASSET} {t[0]}] from {t[1]}")

    @st.composite
    def allotment(draw: st.DrawFn) -> str:
        n = draw(st.integers(1, 3))
        ps = draw(portions(n))
        items = [draw(children) for _ in range(n)]
        return "{ " + " ".join(f"{p} from {s}" for p, s in zip(ps, items, strict=True)) + " }"

    return st.one_of(inorder, capped, allotment())


sources = st.recursive(leaf_source, compound_sources, max_leaves=6)

leaf_destination = st.one_of(account, account, account, st.just("KEPT"))


def compound_destinations(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def clause(target: str) -> str:
        return "kept" if target == "KEPT" else f"to {target}"

    @st.composite
    def allotment(draw: st.DrawFn) -> str:
        n = draw(st.integers(1, 3))
        ps = draw(portions(n))
        items = [draw(children) for _ in range(n)]
        return "{ " + " ".join(f"{p} {clause(d)}" for p, d in zip(ps, items, strict=True)) + " }"

    @st.composite
    def inorder(draw: st.DrawFn) -> str:
        caps = draw(st.lists(st.tuples(small, children), max_size=3))
        last = draw(children)
        body = " ".join(f"max [{ASSET} {c}] {clause(d)}" for c, d in caps)
        return "{ " + body + f" remaining {clause(last)}" + " }"

    return st.one_of(allotment(), inorder())


destinations = st.recursive(leaf_destination, compound_destinations, max_leaves=6).filter(
    lambda d: d != "KEPT"
)


@st.composite
def statements(draw: st.DrawFn) -> tuple[str, bool]:
    """A send and whether its destination can keep funds."""
    amount = "*" if draw(st.booleans()) and draw(st.booleans()) else str(draw(st.integers(0, 150)))
    dest = draw(destinations)
    text = f"send [{ASSET} {amount}] (\n  source = {draw(sources)}\n  destination = {dest}\n)"
    return text, " kept" in text


balances = st.fixed_dictionaries({a: st.integers(0, 120) for a in ACCOUNTS})


def _execute(script: str, initial: dict[str, int]) -> ExecutionResult:
    store = StaticStore({a: {ASSET: v} for a, v in initial.items()})
    try:
        return asyncio.run(execute(compile_program(script), {}, store))
    finally:
        asked = [(a, s) for q in store.balance_queries for a, assets in q.items() for s in assets]
        assert len(asked) == len(set(asked)), "a balance row was requested twice"
        assert len(store.balance_queries) <= 1, "one batched query for literal-only scripts"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=3), balances)
def test_random_programs_respect_the_ledger_invariants(
    stmts: list[tuple[str, bool]], initial: dict[str, int]
) -> None:
    script = "\n".join(text for text, _ in stmts)
    try:
        result = _execute(script, initial)
    except (MissingFundsError, InvalidAllotmentInSendAllError, InvalidUnboundedInSendAllError):
        return

    # Deterministic: the same inputs give the same result.
    again = _execute(script, initial)
    assert again == result

    final: Counter[str] = Counter(initial)
    for p in result.postings:
        assert p.amount > 0, "no zero or negative posting"
        assert p.asset == ASSET
        final[p.source] -= p.amount
        final[p.destination] += p.amount
    # Conservation of the asset across all accounts.
    assert sum(final.values()) == sum(initial.values())

    bounds: dict[str, int] = {}
    for acc, bound in re.findall(r"@(\w+) allowing overdraft up to \[COIN (\d+)\]", script):
        bounds[acc] = max(bounds.get(acc, 0), int(bound))
    for acc in ACCOUNTS:
        assert final[acc] >= -bounds.get(acc, 0), (acc, final[acc], bounds)

    # A single send of a literal amount without 'kept' hands out exactly that amount.
    if len(stmts) == 1 and not stmts[0][1]:
        sent = re.match(r"send \[COIN (\d+)\]", script)
        if sent:
            assert sum(p.amount for p in result.postings) == int(sent.group(1))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**30), st.lists(st.integers(0, 50), min_size=1, max_size=6))
def test_allotment_parts_sum_to_the_total_and_follow_the_rounding_rule(
    total: int, weights: list[int]
) -> None:
    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    weight_sum = sum(weights)
    clauses = " ".join(f"{w}/{weight_sum} to @d{i}" for i, w in enumerate(weights))
    script = f"send [COIN {total}] (source = @world destination = {{ {clauses} }})"
    result = _execute(script, {})
    got = Counter[str]()
    for p in result.postings:
        got[p.destination] += p.amount
    floors = [w * total // weight_sum for w in weights]
    leftover = total - sum(floors)
    expected = [f + (1 if i < leftover else 0) for i, f in enumerate(floors)]
    assert [got[f"d{i}"] for i in range(len(weights))] == expected
    assert sum(got.values()) == total
