"""Per-request context of every ledger route, as a thin ASGI wrapper around the module's router:
the `schemaVersion` a write follows (domain.ledger.schemas.requested_schema_version, read by the
service), and the per-route request counter behind `/_/metrics`.

Router-level FastAPI dependencies did the same for ~10% of a write's CPU time: the dependency
solver is heavy for two assignments. The context variable is set on every request, never
inherited from the previous request of the same keep-alive connection."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from domain.ledger.schemas import requested_schema_version

REQUESTS: Counter[str] = Counter()


class LedgerRequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @property
    def routes(self) -> list[Any]:
        # Mount (and route enumeration in tests) look through to the wrapped router.
        return list(getattr(self.app, "routes", []))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_request_context(scope)
        try:
            await self.app(scope, receive, send)
        finally:
            REQUESTS[metric_key(scope)] += 1


# Counters are keyed by method and route template, never by anything a client chose freely: a
# key per raw path of unmatched requests grew without bound (30,000 junk paths: 59 MB kept for
# good). Unknown methods share one key for the same reason.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metric_key(scope: Scope) -> str:
    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    template = getattr(scope.get("route"), "path", None)
    return f"{method} {template if isinstance(template, str) else '(unmatched)'}"


def set_request_context(scope: Scope) -> None:
    query = scope.get("query_string", b"")
    version = None
    if b"schemaVersion" in query:
        values = parse_qs(query.decode("latin-1")).get("schemaVersion")
        version = values[0] if values and values[0] else None
    requested_schema_version.set(version)
