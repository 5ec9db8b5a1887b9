"""The PostgreSQL query executor of search: runs a SearchPlan over search_documents.

A target's page is a keyset page on (sort value, ledger, id), in the plan's order; without a
sort that is each kind's `sort_value` column, read through its B-tree index. The total is
counted up to TOTAL_CAP (as Elasticsearch does by default). The multi-kind answer takes each
kind's first page in one statement (a LATERAL per kind)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from domain.search.documents import DEFAULT_SORT
from domain.search.models import Kind, Order
from domain.search.planner import SearchPlan
from domain.search.service import TOTAL_CAP
from domain.search.sink import Hits, MultiHits
from storage.database import Database
from storage.search.query_sql import Conditions
from storage.search.sink import dumps

_TRIGRAM_INDEX = text(
    "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'ix_search_documents_trgm')")
_trigram_by_database: dict[str, bool] = {}


class PgSearchEngine:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def trigram(self) -> bool:
        """Whether migration 0014 could build the trigram index that answers `*` patterns
        (read once per database)."""
        known = _trigram_by_database.get(self.database.url)
        if known is None:
            async with self.database.engine.connect() as conn:
                known = bool((await conn.execute(_TRIGRAM_INDEX)).scalar())
            _trigram_by_database[self.database.url] = known
        return known

    @staticmethod
    def _filters(plan: SearchPlan, kind_sql: str) -> tuple[Conditions, list[str]]:
        c = Conditions()
        where = [f"kind = {kind_sql}", c.terms(plan.terms, plan.policy)]
        if plan.ledgers:
            where.append(f"ledger = ANY(CAST({c.bind(list(plan.ledgers))} AS text[]))")
        return c, where

    def _sort_expr(self, c: Conditions, plan: SearchPlan, kind: Kind | None) -> str:
        if plan.sort.path is None or (
                kind is not None and plan.sort.path == (DEFAULT_SORT[kind],)):
            return "sort_value"
        return f"COALESCE(indexed #> CAST({c.bind(list(plan.sort.path))} AS text[]), 'null')"

    async def search(self, plan: SearchPlan) -> Hits:
        kind = plan.kinds[0]
        c, where = self._filters(plan, ":kind")
        c.params["kind"] = kind.value
        s = self._sort_expr(c, plan, kind)
        count_sql = (f"SELECT count(*) FROM (SELECT 1 FROM search_documents "
                     f"WHERE {' AND '.join(where)} LIMIT {TOTAL_CAP + 1}) m")
        params_for_count = dict(c.params)
        descending = plan.sort.order is Order.DESC
        backward = plan.position is not None and plan.position.backward
        if backward:
            descending = not descending
        direction = "DESC" if descending else "ASC"
        comparison = "<" if descending else ">"
        if plan.position is not None:
            value, ledger, doc_id = plan.position.key
            where.append(f"({s}, ledger, doc_id) {comparison} "
                         f"(CAST({c.bind(dumps(value))} AS jsonb), {c.bind(ledger)}, "
                         f"{c.bind(doc_id)})")
        elif plan.after is not None:
            where.append(f"{s} {comparison} CAST({c.bind(dumps(plan.after))} AS jsonb)")
        page_sql = (f"SELECT data, {s} AS s, ledger, doc_id FROM search_documents "
                    f"WHERE {' AND '.join(where)} "
                    f"ORDER BY s {direction}, ledger {direction}, doc_id {direction} "
                    f"LIMIT {plan.page_size + 1}")
        async with self.database.engine.connect() as conn:
            rows = list((await conn.execute(text(page_sql), c.params)).all())
            total = int((await conn.execute(text(count_sql), params_for_count)).scalar() or 0)
        has_more = len(rows) > plan.page_size
        rows = rows[:plan.page_size]
        if backward:
            rows.reverse()
        keys = [(r.s, r.ledger, r.doc_id) for r in rows]
        return Hits(data=[r.data for r in rows], has_more=has_more,
                    first_key=keys[0] if keys else None, last_key=keys[-1] if keys else None,
                    total=min(total, TOTAL_CAP), total_is_exact=total <= TOTAL_CAP)

    async def search_kinds(self, plan: SearchPlan) -> MultiHits:
        c, where = self._filters(plan, "k.kind")
        s = self._sort_expr(c, plan, None)
        direction = "DESC" if plan.sort.order is Order.DESC else "ASC"
        kinds = c.bind([k.value for k in plan.kinds])
        sql = (f"SELECT k.kind, d.data FROM unnest(CAST({kinds} AS text[])) "
               f"WITH ORDINALITY AS k(kind, n) CROSS JOIN LATERAL ("
               f"SELECT data, {s} AS s, ledger, doc_id FROM search_documents "
               f"WHERE {' AND '.join(where)} "
               f"ORDER BY s {direction}, ledger {direction}, doc_id {direction} "
               f"LIMIT {plan.page_size}) d ORDER BY k.n, d.s {direction}, d.ledger {direction}, "
               f"d.doc_id {direction}")
        by_kind: dict[Kind, list[dict[str, Any]]] = {}
        async with self.database.engine.connect() as conn:
            for r in (await conn.execute(text(sql), c.params)).all():
                by_kind.setdefault(Kind(r.kind), []).append(r.data)
        return MultiHits(by_kind)
