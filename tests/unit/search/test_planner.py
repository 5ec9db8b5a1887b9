"""Planning a request: defaults, each refusal, and cursors that replay the whole query and are
refused once edited."""

from __future__ import annotations

import base64
import json

import pytest

from domain.search.errors import InvalidCursorError, InvalidQueryError, RawQueryNotSupportedError
from domain.search.models import Kind, Order, Policy
from domain.search.planner import DEFAULT_PAGE_SIZE, cursor_token, plan_search


def test_defaults_and_the_multi_kind_plan() -> None:
    plan = plan_search({})
    assert plan.kinds == tuple(Kind) and not plan.single_kind
    assert (plan.policy, plan.sort.order, plan.page_size) == (
        Policy.AND, Order.DESC, DEFAULT_PAGE_SIZE)
    assert plan.sort_field(Kind.ACCOUNT) == ("address",)
    assert plan.sort_field(Kind.TRANSACTION) == ("txid",)
    assert plan.sort_field(Kind.PAYMENT) == ("reference",)
    plan = plan_search({"target": "payment", "policy": "or", "sort": "metadata.k:asc",
                        "pageSize": 0})
    assert plan.kinds == (Kind.PAYMENT,) and plan.policy is Policy.OR
    assert (plan.sort.path, plan.sort.order, plan.page_size) == (
        ("metadata", "k"), Order.ASC, DEFAULT_PAGE_SIZE)


@pytest.mark.parametrize("body", [
    {"target": "LEDGER"}, {"pageSize": 1001}, {"pageSize": True}, {"policy": "NOT"},
    {"sort": "a b"}, {"sort": "txid:up"}, {"terms": [None]}, {"after": ["a", "b"]},
    {"ledgers": [1]},
])
def test_refusals(body: dict[str, object]) -> None:
    with pytest.raises(InvalidQueryError):
        plan_search(body)


def test_raw_is_refused_saying_why() -> None:
    with pytest.raises(RawQueryNotSupportedError) as refused:
        plan_search({"raw": {"query": {"match_all": {}}}})
    assert "no Elasticsearch" in refused.value.message


def test_a_cursor_replays_its_query_and_refuses_edits() -> None:
    plan = plan_search({"target": "TRANSACTION", "terms": ["asset=USD"], "pageSize": 2,
                        "ledgers": ["main"]})
    token = cursor_token(plan, (7, "main", "7"), backward=False)
    again = plan_search({"cursor": token, "target": "ACCOUNT"})  # other parameters ignored
    assert (again.kinds, again.terms, again.ledgers, again.page_size) == (
        plan.kinds, plan.terms, plan.ledgers, 2)
    assert again.position is not None and again.position.key == (7, "main", "7")
    assert plan_search({"cursor": token, "pageSize": 9}).page_size == 9
    state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    state["k"][0] = 8
    forged = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
    for bad in (forged, "x", token + "A", base64.urlsafe_b64encode(b"[1]").decode()):
        with pytest.raises(InvalidCursorError):
            plan_search({"cursor": bad})
