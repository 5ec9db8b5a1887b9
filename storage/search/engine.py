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
        descending = plan.sort.order is Order.DESC
        backward = plan.position is not None and plan.position.backward
        if backward:
            descending = not descending
        direction = "DESC" if descending else "ASC"
        def order(of: str = "") -> str:
            return f"ORDER BY {of}s {direction}, {of}ledger {direction}, {of}doc_id {direction}"

        start = self._start(c, plan, "<" if descending else ">")
        matches = (f"SELECT {s} AS s, ledger, doc_id FROM search_documents "
                   f"WHERE {' AND '.join(where)}")
        limit = plan.page_size + 1
        # First the matches, up to the cap, found by whichever index answers the terms best;
        # when they are all there (the usual, selective query), the page is sorted from them.
        # Asked for the page directly, PostgreSQL tends to walk the sort index and filter,
        # which for a rare word means reading the whole kind (1.5 s over 700,000 documents).
        candidates_sql = (
            f"WITH m AS MATERIALIZED ({matches} LIMIT {TOTAL_CAP + 1}) "
            f"SELECT t.total, p.s, p.ledger, p.doc_id, d.data "
            f"FROM (SELECT count(*) AS total FROM m) t LEFT JOIN LATERAL ("
            f"SELECT * FROM m WHERE {start} {order()} LIMIT {limit}) p ON true "
            f"LEFT JOIN search_documents d ON d.kind = :kind AND d.ledger = p.ledger "
            f"AND d.doc_id = p.doc_id {order('p.')}")
        async with self.database.engine.connect() as conn:
            rows = list((await conn.execute(text(candidates_sql), c.params)).all())
            total = int(rows[0].total)
            rows = [r for r in rows if r.doc_id is not None]
            if total > TOTAL_CAP:
                # A broad query: matches are dense, so walking the sort index is the quick way.
                page_sql = (f"SELECT x.*, d.data FROM (SELECT * FROM ({matches}) y "
                            f"WHERE {start} {order()} LIMIT {limit}) x "
                            f"JOIN search_documents d ON d.kind = :kind AND d.ledger = x.ledger "
                            f"AND d.doc_id = x.doc_id {order('x.')}")
                rows = list((await conn.execute(text(page_sql), c.params)).all())
        has_more = len(rows) > plan.page_size
        rows = rows[:plan.page_size]
        if backward:
            rows.reverse()
        keys = [(r.s, r.ledger, r.doc_id) for r in rows]
        return Hits(data=[r.data for r in rows], has_more=has_more,
                    first_key=keys[0] if keys else None, last_key=keys[-1] if keys else None,
                    total=min(total, TOTAL_CAP), total_is_exact=total <= TOTAL_CAP)

    @staticmethod
    def _start(c: Conditions, plan: SearchPlan, comparison: str) -> str:
        """Where the page starts, on the columns (s, ledger, doc_id) of the matches."""
        if plan.position is not None:
            value, ledger, doc_id = plan.position.key
            return (f"(s, ledger, doc_id) {comparison} (CAST({c.bind(dumps(value))} AS jsonb), "
                    f"{c.bind(ledger)}, {c.bind(doc_id)})")
        if plan.after is not None:
            return f"s {comparison} CAST({c.bind(dumps(plan.after))} AS jsonb)"
        return "true"

    async def search_kinds(self, plan: SearchPlan) -> MultiHits:
        c, where = self._filters(plan, "kind")
        s = self._sort_expr(c, plan, None)
        direction = "DESC" if plan.sort.order is Order.DESC else "ASC"
        kinds = c.bind([k.value for k in plan.kinds])
        where[0] = f"kind = ANY(CAST({kinds} AS text[]))"
        order = f"s {direction}, ledger {direction}, doc_id {direction}"
        # As for one kind: the matches first (up to the cap), each kind's first page from them;
        # past the cap, a page per kind read in order.
        candidates_sql = (
            f"WITH m AS MATERIALIZED (SELECT kind, {s} AS s, ledger, doc_id "
            f"FROM search_documents WHERE {' AND '.join(where)} LIMIT {TOTAL_CAP + 1}) "
            f"SELECT (SELECT count(*) FROM m) AS total, r.kind, d.data FROM ("
            f"SELECT *, row_number() OVER (PARTITION BY kind ORDER BY {order}) AS n FROM m) r "
            f"JOIN search_documents d USING (kind, ledger, doc_id) "
            f"WHERE r.n <= {plan.page_size} ORDER BY r.kind, r.n")
        per_kind_sql = (
            f"SELECT k.kind, d.data FROM unnest(CAST({kinds} AS text[])) "
            f"WITH ORDINALITY AS k(kind, n) CROSS JOIN LATERAL ("
            f"SELECT data, {s} AS s, ledger, doc_id FROM search_documents "
            f"WHERE {' AND '.join(['kind = k.kind', *where[1:]])} "
            f"ORDER BY {order} LIMIT {plan.page_size}) d ORDER BY k.n, d.s {direction}, "
            f"d.ledger {direction}, d.doc_id {direction}")
        async with self.database.engine.connect() as conn:
            rows = list((await conn.execute(text(candidates_sql), c.params)).all())
            if rows and int(rows[0].total) > TOTAL_CAP:
                rows = list((await conn.execute(text(per_kind_sql), c.params)).all())
        by_kind: dict[Kind, list[dict[str, Any]]] = {}
        for r in rows:
            by_kind.setdefault(Kind(r.kind), []).append(r.data)
        return MultiHits({k: by_kind[k] for k in plan.kinds if k in by_kind})
