"""Every route of the full app refuses a request without a token, except the explicit,
reviewed list of open routes below. A route added without protection fails here."""

from __future__ import annotations

import re

import httpx
import pytest
from auth_helpers import http_client
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from api.app import create_app
from config.settings import Settings
from storage.database import Database

OPEN_PATHS = {
    "/versions", "/_healthcheck", "/api/docs", "/api/openapi.json", "/docs/oauth2-redirect",
    "/api/auth/.well-known/openid-configuration", "/api/auth/keys", "/api/auth/oauth/token",
}
OPEN_PATTERNS = (
    re.compile(r"^/api/[a-z]+/(_info|_healthcheck)$"),
    re.compile(r"^/api/payments/v3/connectors/webhooks/"),
    re.compile(r"^/api/payments/connectors/webhooks/"),
)
_PARAM = re.compile(r"\{[^}]+\}")


def _is_open(template: str) -> bool:
    return template in OPEN_PATHS or any(p.match(template) for p in OPEN_PATTERNS)


def _calls(routes: object, prefix: str = "") -> list[tuple[str, str, str]]:
    """(method, path template, concrete path) for every route, included routers flattened
    (FastAPI keeps `include_router` results as nested router objects) and each module's Mount
    descended into."""
    calls = []
    for route in iter_route_contexts(routes):  # type: ignore[arg-type]
        if isinstance(route.original_route, Mount):
            inner = route.original_route.routes
            assert inner, f"cannot see inside mount {route.path}: extend this test"
            calls += _calls(inner, prefix + route.path)
            continue
        template = prefix + route.path
        assert route.path, f"cannot tell the path of route {route!r}: extend this test"
        for method in sorted(route.methods or {"GET"}):
            calls.append((method, template, _PARAM.sub("dummy", template)))
    return calls


async def test_every_route_without_a_token_is_refused(auth_settings: Settings,
                                                      database: Database):
    app = create_app(auth_settings, database=database)
    calls = _calls(app.routes)
    # The enumeration really reaches into included routers.
    assert ("GET", "/api/auth/clients", "/api/auth/clients") in calls
    assert ("POST", "/api/ledger/v2/{ledger}/transactions",
            "/api/ledger/v2/dummy/transactions") in calls
    problems = []
    async with http_client(app) as http:
        for method, template, path in calls:
            resp = await http.request(method, path)
            if _is_open(template):
                if resp.status_code == 401:
                    problems.append(f"{method} {template} should be open, got 401")
            elif resp.status_code != 401 or "www-authenticate" not in resp.headers:
                problems.append(f"{method} {template} answered {resp.status_code} without a token")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["/api/nothing/here", "/nothing", "/api/ledger"])
async def test_unknown_paths_are_refused_before_routing(auth_http: httpx.AsyncClient, path: str):
    # No token, no hint about which routes exist.
    assert (await auth_http.get(path)).status_code == 401
