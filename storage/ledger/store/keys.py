"""Row helpers the read seams share: volumes from a row, and the keyset key of a page item
(domain/ledger/query `key_columns`)."""

from __future__ import annotations

from typing import Any

from domain.ledger.models import (
    Ledger,
    Volumes,
)
from domain.ledger.query import ListQuery


def volumes_of(i: Any, o: Any) -> Volumes:
    return Volumes(int(i), int(o))



def attr_key(item: Any, column: str) -> Any:
    attr = {"inserted_at": "inserted_at", "updated_at": "updated_at"}.get(column, column)
    return getattr(item, attr)


def ledger_key(item: Ledger, column: str) -> Any:
    return getattr(item, column)


def page_key(query: ListQuery, getter: Any) -> Any:
    from domain.ledger.query import key_columns

    cols = key_columns(query.resource, query.sort)
    return lambda item: tuple(getter(item, c) for c in cols)
