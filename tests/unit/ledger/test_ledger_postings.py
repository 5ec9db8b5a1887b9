"""Postings planning: the in-order balance rule reduced to one required balance per (account,
asset), the moves and their post-commit offsets, and revert postings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ledger.models import Posting
from domain.ledger.postings import BalanceCheck, plan_general, plan_postings, reverse_postings


def required(postings: list[Posting], check: BalanceCheck = BalanceCheck.SEQUENTIAL
             ) -> dict[tuple[str, str], int | None]:
    plan = plan_postings(postings, check)
    return {(c.address, c.asset): c.required_balance for c in plan.changes}


def test_a_source_needs_what_it_sends() -> None:
    assert required([Posting("a", "b", 10, "USD")]) == {("a", "USD"): 10, ("b", "USD"): None}


def test_world_is_never_checked() -> None:
    assert required([Posting("world", "a", 10, "USD")]) == {
        ("a", "USD"): None, ("world", "USD"): None}


def test_funds_received_earlier_in_the_transaction_count() -> None:
    # a receives 10, then sends 15: it needs 5 beforehand.
    assert required([Posting("world", "a", 10, "USD"), Posting("a", "b", 15, "USD")])[
        ("a", "USD")] == 5
    # a receives 10, then sends 10: it needs nothing beforehand.
    assert required([Posting("world", "a", 10, "USD"), Posting("a", "b", 10, "USD")])[
        ("a", "USD")] == 0


def test_funds_received_later_do_not_count() -> None:
    # In order: a sends 15 first, receives 10 afterwards: it must hold 15 at the start, even
    # though its net change is only -5.
    postings = [Posting("a", "b", 15, "USD"), Posting("world", "a", 10, "USD")]
    assert required(postings)[("a", "USD")] == 15
    # The final rule (reverts) looks at the net change only.
    assert required(postings, BalanceCheck.FINAL)[("a", "USD")] == 5


def test_the_lowest_point_of_the_running_balance_is_what_counts() -> None:
    postings = [
        Posting("a", "b", 3, "USD"),      # running -3
        Posting("world", "a", 10, "USD"),  # running 7
        Posting("a", "c", 12, "USD"),     # running -5
        Posting("a", "c", 1, "USD"),      # running -6 <- lowest
        Posting("world", "a", 100, "USD"),
    ]
    assert required(postings)[("a", "USD")] == 6


def test_assets_are_independent() -> None:
    postings = [Posting("world", "a", 10, "USD"), Posting("a", "b", 10, "EUR")]
    assert required(postings) == {("a", "EUR"): 10, ("a", "USD"): None, ("b", "EUR"): None,
                                  ("world", "USD"): None}


def test_no_check_with_force() -> None:
    assert set(required([Posting("a", "b", 10, "USD")], BalanceCheck.NONE).values()) == {None}


def test_changes_are_sorted_net_volumes() -> None:
    plan = plan_postings([Posting("z", "a", 5, "USD"), Posting("a", "z", 2, "USD"),
                          Posting("a", "m", 1, "EUR")], BalanceCheck.NONE)
    assert [(c.address, c.asset, c.input, c.output) for c in plan.changes] == [
        ("a", "EUR", 0, 1), ("a", "USD", 5, 2), ("m", "EUR", 1, 0), ("z", "USD", 2, 5)]


def test_moves_carry_what_comes_after_them() -> None:
    plan = plan_postings([Posting("world", "a", 10, "USD"), Posting("a", "b", 4, "USD")],
                         BalanceCheck.NONE)
    assert [(m.address, m.amount, m.is_source, m.later_input, m.later_output)
            for m in plan.moves] == [
        ("world", 10, True, 0, 0),
        ("a", 10, False, 0, 4),  # a's post-commit volumes here: final minus the later output
        ("a", 4, True, 0, 0),
        ("b", 4, False, 0, 0),
    ]


def test_zero_amounts_and_huge_amounts() -> None:
    big = 10**40
    assert required([Posting("a", "b", 0, "USD")])[("a", "USD")] == 0
    assert required([Posting("a", "b", big, "USD")])[("a", "USD")] == big


def test_reverse_postings_swap_and_reverse_order() -> None:
    postings = [Posting("world", "a", 10, "USD"), Posting("a", "b", 4, "EUR")]
    assert reverse_postings(postings) == [Posting("b", "a", 4, "EUR"),
                                          Posting("a", "world", 10, "USD")]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["world", "a", "b:1", "z"]), st.sampled_from(["world", "a", "b:1", "z"]),
       st.integers(min_value=0, max_value=10**30), st.sampled_from(["USD", "EUR/2"]),
       st.sampled_from(list(BalanceCheck)))
def test_the_one_posting_shortcut_plans_like_the_general_case(
        source: str, destination: str, amount: int, asset: str, check: BalanceCheck) -> None:
    postings = [Posting(source, destination, amount, asset)]
    assert plan_postings(postings, check) == plan_general(postings, check)
