"""A SearchPlan's terms as SQL over search_documents.

Field terms are SQL/JSON path filters on `indexed` (`indexed @? '$."k" ? (@ == "v")'`), which
the GIN jsonb_path_ops index answers for equality; lax mode unwraps list fields, so
`source=world` matches a transaction with `world` among its sources. A value is compared as
each type it may be (terms.match_values), and a path filter never fails on a type mismatch: it
just does not match.

A free term matches a document when each of its words starts a word of the document, whatever
the case (`users:00` finds `users:001`, `corner` finds "at the corner", `001` finds
`users:001`): a prefix lookup in the tsvector's GIN index, a few ms over a million documents.
A term with `*` is a pattern over the whole text (`*123*` anywhere, as Elasticsearch's
wildcards), answered by the trigram index when the server has pg_trgm. Substring matching was
the default first; its trigram lookups had to intersect the posting lists of trigrams every
document shares (`use`, `ser`, ...): 56 ms per term over 1,000,000 documents."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from domain.search.models import Policy
from domain.search.terms import FreeText, JsonScalar, Match, Range, Term


def json_path(path: tuple[str, ...]) -> str:
    return "$" + "".join("." + json.dumps(p) for p in path)


def path_literal(value: JsonScalar | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "%" + escaped.replace("*", "%") + "%"


def _ts_query(text: str) -> str | None:
    """Every word of the term as a prefix of a word of the document, in tsquery syntax (read
    verbatim by the tsquery cast: no parser splits `users:001`)."""
    terms = text.lower().split()
    if not terms:
        return None
    return " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "':*"
                      for t in terms)


class Conditions:
    """Builds the WHERE of a plan's terms, with numbered bind parameters."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def term(self, term: Term) -> str:
        if isinstance(term, Match):
            tests = " || ".join(f"@ == {path_literal(v)}" for v in term.values)
            return self._path_filter(term.path, tests)
        if isinstance(term, Range):
            return self._path_filter(term.path, f"@ {term.operator} {path_literal(term.bound)}")
        assert isinstance(term, FreeText)
        if "*" in term.text:
            # A pattern: the trigram index when there is one, else a scan of the kind.
            return f"search_text ILIKE {self.bind(_like_pattern(term.text))}"
        query = _ts_query(term.text)
        if query is None:
            return "false"
        return f"search_tsv @@ CAST({self.bind(query)} AS tsquery)"

    def _path_filter(self, path: tuple[str, ...], test: str) -> str:
        return f"indexed @? CAST({self.bind(f'{json_path(path)} ? ({test})')} AS jsonpath)"

    def terms(self, terms: tuple[Term, ...], policy: Policy) -> str:
        if not terms:
            return "true"
        joiner = " AND " if policy is Policy.AND else " OR "
        return "(" + joiner.join(f"({self.term(t)})" for t in terms) + ")"
