"""The one interface between search and its engine. PostgreSQL implements it
(storage/search/sink.py); an OpenSearch sink would implement the same two protocols (bulk
writes keyed by document, each document's `event_id` as its external version so a replayed
batch is refused per document, and a query translator from SearchPlan), and nothing above
would change."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from domain.search.indexing import IndexChanges
from domain.search.models import Document, DocumentKey, Kind
from domain.search.planner import SearchPlan

TransactionT_contra = TypeVar("TransactionT_contra", contravariant=True)


class SearchSink(Protocol[TransactionT_contra]):
    """Writes documents. `transaction` is the dispatcher's: a sink in the same database commits
    its writes with the consumer's offset (exactly once); another engine ignores it and relies
    on each document's event id instead (at least once, applied once)."""

    async def load(self, keys: Collection[DocumentKey], transaction: TransactionT_contra
                   ) -> dict[DocumentKey, Document]: ...

    async def write(self, changes: IndexChanges, transaction: TransactionT_contra) -> None: ...


@dataclass(frozen=True, slots=True)
class Hits:
    """One kind's answer: its page of documents (the objects as the API returns them), whether
    more follow, the sort keys of the first and last (for cursors) and the total."""

    data: list[dict[str, Any]]
    has_more: bool
    first_key: tuple[Any, str, str] | None = None
    last_key: tuple[Any, str, str] | None = None
    total: int = 0
    total_is_exact: bool = True


@dataclass(frozen=True, slots=True)
class MultiHits:
    by_kind: dict[Kind, list[dict[str, Any]]] = field(default_factory=dict)


class SearchEngine(Protocol):
    async def search(self, plan: SearchPlan) -> Hits: ...

    async def search_kinds(self, plan: SearchPlan) -> MultiHits: ...
