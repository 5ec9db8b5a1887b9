"""The search use-case: plan the request, run it on the engine, answer in the Formance shape:
with a target, `{cursor: {pageSize, hasMore, total, next?, previous?, data}}`; without one,
`{data: {KIND: [...]}}` holding the kinds that have hits."""

from __future__ import annotations

from typing import Any

from domain.search.planner import SearchPlan, cursor_token, plan_search
from domain.search.sink import Hits, SearchEngine

# Formance search answers totals the way Elasticsearch counts them: exactly up to a cap, then
# as a lower bound ("gte"). Counting every match of a broad term would cost more than the page.
TOTAL_CAP = 10_000


class SearchService:
    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine

    async def search(self, body: dict[str, Any]) -> dict[str, Any]:
        plan = plan_search(body)
        if not plan.single_kind:
            found = await self.engine.search_kinds(plan)
            return {"data": {kind.value: docs for kind, docs in found.by_kind.items()}}
        return {"cursor": cursor_page(plan, await self.engine.search(plan))}


def cursor_page(plan: SearchPlan, hits: Hits) -> dict[str, Any]:
    page: dict[str, Any] = {
        "pageSize": plan.page_size,
        "hasMore": hits.has_more,
        "total": {"value": hits.total, "relation": "eq" if hits.total_is_exact else "gte"},
        "data": hits.data,
    }
    backward = plan.position is not None and plan.position.backward
    if hits.last_key is not None and (hits.has_more if not backward else True):
        page["next"] = cursor_token(plan, hits.last_key, backward=False)
    came_from_later = backward and hits.has_more
    came_from_earlier = not backward and (plan.position is not None or plan.after is not None)
    if hits.first_key is not None and (came_from_later or came_from_earlier):
        page["previous"] = cursor_token(plan, hits.first_key, backward=True)
    if backward:
        page["hasMore"] = True  # a page reached backwards always has the page it came from
    return page
