"""What a document offers to a query, derived from the object it holds (`data`), so a document
is only ever written whole and an index can be rebuilt from the objects alone.

* `indexed_fields`: the fields `key=value` and range terms match. Top-level scalars and lists of
  scalars as they are (times rewritten by times.py so they compare as text), `metadata` as a map
  of strings, and for transactions the posting fields Formance indexes (`source`, `destination`,
  `asset`, `amount`, one list each).
* `free_text`: the distinct string leaves of the object in key order but times, which free
  terms match (capped, so one huge `rawData` cannot bloat the index).
* `words`: the words of that text that free terms look up by prefix (tsvector).
* `sort_value`: the field each kind is listed by when no sort is given (Formance's defaults)."""

from __future__ import annotations

import re
from typing import Any

from domain.search.models import Document, Kind
from domain.search.times import normalise_time

TIME_FIELDS = frozenset({
    "timestamp", "createdAt", "lastUpdatedAt", "updatedAt", "insertedAt", "revertedAt",
    "scheduledAt", "date",
})
DEFAULT_SORT: dict[Kind, str] = {
    Kind.ACCOUNT: "address",
    Kind.TRANSACTION: "txid",
    Kind.PAYMENT: "reference",
    Kind.PAYMENT_TRANSFER_INITIATION: "createdAt",
    Kind.PAYMENT_BALANCE: "createdAt",
    Kind.PAYMENT_BANK_ACCOUNT: "createdAt",
    Kind.AUDIT: "id",
}
FREE_TEXT_MAX_CHARS = 4096
_SCALARS = (str, int, float, bool)


def _scalar(key: str, value: Any) -> Any:
    if isinstance(value, str) and key in TIME_FIELDS:
        return normalise_time(value) or value
    return value


def indexed_fields(doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.data.items():
        if key == "metadata" and isinstance(value, dict):
            out["metadata"] = {k: v for k, v in value.items() if isinstance(v, _SCALARS)}
        elif isinstance(value, _SCALARS):
            out[key] = _scalar(key, value)
        elif isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value):
            out[key] = [_scalar(key, v) for v in value]
    if doc.key.kind is Kind.TRANSACTION:
        postings = [p for p in doc.data.get("postings") or [] if isinstance(p, dict)]
        for field, source in (("source", "source"), ("destination", "destination"),
                              ("asset", "asset"), ("amount", "amount")):
            out[field] = [p[source] for p in postings if source in p]
    return out


def free_text(doc: Document) -> str:
    """Each distinct string once, times left out: they are matched by range and match terms,
    and the trigrams of an instant's digits cost more to index than any text of the object.
    Walked with a stack rather than by recursion: this runs for every document the indexer
    writes, and a call per leaf was its largest cost."""
    parts: dict[str, None] = {}
    size = 0
    stack: list[Any] = [doc.data]
    while stack and size < FREE_TEXT_MAX_CHARS:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if value and value not in parts:
                parts[value] = None
                size += len(value) + 1
        elif kind is dict:
            # In key order: the same text whatever order the object was built or stored in.
            stack.extend(value[k] for k in sorted(value, reverse=True) if k not in TIME_FIELDS)
        elif kind is list:
            stack.extend(reversed(value))
    return " ".join(parts)[:FREE_TEXT_MAX_CHARS]


_PUNCTUATION = re.compile(r"[^\w]+")
MAX_WORDS = 512


def words(text: str) -> list[str]:
    """The words free terms look up: each whitespace-separated token lower-cased, and its parts
    between punctuation (`users:001` gives `users:001`, `users`, `001`), each once."""
    found: dict[str, None] = {}
    for token in text.lower().split():
        found.setdefault(token, None)
        for part in _PUNCTUATION.split(token):
            if part:
                found.setdefault(part, None)
    return list(found)[:MAX_WORDS]


def sort_value(doc: Document, indexed: dict[str, Any] | None = None) -> Any:
    fields = indexed if indexed is not None else indexed_fields(doc)
    return fields.get(DEFAULT_SORT[doc.key.kind])
