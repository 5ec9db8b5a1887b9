"""The two ledger write routes (create a transaction, a bulk) served without the framework's
per-request stack.

A write through FastAPI walked a dozen ASGI layers (exception, CORS and body-limit middlewares,
the router and the module mount, the dependency solver) for ~40% of its CPU time, and the write
path is CPU-bound in this process (README, Performance). Here the app recognises the two routes
itself and calls the very same route functions (api/ledger/v2.py), with the same error
handlers (api/errors.py), the same bearer-token check when auth is on, and the same
per-request context (api/ledger/context.py). Anything unusual (a CORS request, a root path)
takes the full stack, so the two paths can only differ in speed. Both paths pass the app's input
guard first (NUL characters, request size limits: api/input_guard.py)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response_for
from api.ledger import v2
from api.ledger.context import REQUESTS, set_request_context

_PATH = re.compile(r"/api/ledger/v2/([^/]+)/(transactions|_bulk)")
_ROUTES: dict[str, tuple[str, Callable[[str, Request], Awaitable[Response]]]] = {
    "transactions": ("POST /v2/{ledger}/transactions", v2.create_transaction),
    "_bulk": ("POST /v2/{ledger}/_bulk", v2.create_bulk),
}


def is_hot(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
        return False
    if _PATH.fullmatch(scope["path"]) is None:
        return False
    # CORS decorates answers to browsers: those go through its middleware.
    return all(name != b"origin" for name, _ in scope["headers"])


async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
    match = _PATH.fullmatch(scope["path"])
    assert match is not None
    ledger, what = match.groups()
    metric, route = _ROUTES[what]
    set_request_context(scope)
    request = Request(scope, receive)
    try:
        response = await route(ledger, request)
    except Exception as exc:  # what the app's exception handlers answer, exactly
        response = await error_response_for(request, exc)
    await response(scope, receive, send)
    REQUESTS[metric] += 1


def hot_writes(app: FastAPI, *, auth_modules: list[str] | None) -> ASGIApp:
    """The handler for requests `is_hot` accepts; behind the bearer-token check when auth is
    enabled (`auth_modules`)."""
    if auth_modules is None:
        return _serve
    from api.auth.enforcement import AuthEnforcementMiddleware

    return AuthEnforcementMiddleware(_serve, fastapi_app=app, modules=auth_modules)
