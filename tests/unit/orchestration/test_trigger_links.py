"""link(obj, rel) in trigger expressions: the linked resource is fetched through the caller's
reader only when an expression needs it, each once, and its failures are that expression's
error; without a reader link() is an error of that expression only."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from domain.orchestration.models import Trigger
from domain.orchestration.triggers import MAX_LINKS, evaluate_trigger, evaluate_with_links

EVENT = {"id": "p1", "amount": 150, "links": [
    {"name": "account", "uri": "http://payments/accounts/a1"},
    {"name": "broken", "uri": "http://payments/nope"}]}


def trigger(filter: str | None = None, **vars: str) -> Trigger:
    return Trigger(id="t", event="SAVED_PAYMENT", workflow_id="w", filter=filter, vars=vars,
                   created_at=datetime.now(UTC))


class Reader:
    def __init__(self) -> None:
        self.reads: list[str] = []

    async def __call__(self, uri: str) -> Any:
        self.reads.append(uri)
        if uri.endswith("nope"):
            raise RuntimeError("404 Not Found")
        return {"id": "a1", "metadata": {"tier": "gold"}}


async def test_link_reads_each_linked_resource_once() -> None:
    reader = Reader()
    t = trigger('link(event, "account").metadata.tier == "gold"',
                tier='link(event, "account").metadata.tier', amount="event.amount")
    result = await evaluate_with_links(partial(evaluate_trigger, t, EVENT), reader)
    assert result.match is True and result.filter_error is None
    assert result.variables == {"tier": ("gold", None), "amount": ("150", None)}
    assert reader.reads == ["http://payments/accounts/a1"]


async def test_link_failures_are_the_expressions_errors() -> None:
    reader = Reader()
    t = trigger('link(event, "broken").id == "x"', missing='link(event, "other")',
                ok="event.id")
    result = await evaluate_with_links(partial(evaluate_trigger, t, EVENT), reader)
    assert result.match is False
    assert result.filter_error is not None and "404 Not Found" in result.filter_error
    assert result.variables["missing"] == (None, "link(): no link named 'other'")
    assert result.variables["ok"] == ("p1", None)


async def test_without_a_reader_link_is_an_error_and_links_are_bounded() -> None:
    result = await evaluate_with_links(
        partial(evaluate_trigger, trigger('link(event, "account") != nil'), EVENT), None)
    assert result.match is False and "cannot read linked resources" in str(result.filter_error)
    many = {"links": [{"name": f"r{i}", "uri": f"http://x/{i}"} for i in range(MAX_LINKS + 2)]}
    source = " && ".join(f'link(event, "r{i}") != nil' for i in range(MAX_LINKS + 2))
    reader = Reader()
    result = await evaluate_with_links(partial(evaluate_trigger, trigger(source), many), reader)
    assert len(reader.reads) == MAX_LINKS
    assert f"more than {MAX_LINKS} linked resources" in str(result.filter_error)
