"""Routes of the search spec: `POST /` (operation `search`) and `GET /_info`
(`getServerInfo`), which also shows how far the index is behind the events."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from api.dependencies import dependencies
from api.modules import VERSION
from domain.search.errors import InvalidQueryError
from domain.search.service import SearchService
from storage.search.engine import PgSearchEngine
from storage.search.lag import indexing_lag

router = APIRouter(tags=["search.v1"])


@router.get("/_info", operation_id="getServerInfo")
async def get_server_info(request: Request) -> dict[str, Any]:
    database = dependencies(request).database
    lag = await indexing_lag(database)
    trigram = await PgSearchEngine(database).trigram()
    return {
        "name": "search", "version": VERSION, "engine": "postgresql",
        "freeText": "word prefix (tsvector); `*` patterns "
                    + ("through pg_trgm" if trigram else "by scan (no pg_trgm)"),
        "indexing": {"lagSeconds": round(lag.seconds, 3), "pendingEvents": lag.pending_events,
                     "pendingIsExact": lag.pending_is_exact},
    }


@router.post("/", operation_id="search")
async def search(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise InvalidQueryError("a JSON body is required (the search query)")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidQueryError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidQueryError("the body must be a JSON object (the search query)")
    return await SearchService(PgSearchEngine(dependencies(request).database)).search(body)
