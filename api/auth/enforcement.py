"""Bearer-token enforcement for every module (reference §0), as a pure ASGI middleware: it runs
before routing, so a route someone adds tomorrow is protected without doing anything.

Rules: a request needs `Authorization: Bearer <JWT>` signed RS256 by one of our keys, issued by
`<public base URL>/api/auth` for our audience and not expired; otherwise 401 with
`WWW-Authenticate: Bearer` (RFC 6750). Under `/api/<module>/`, reads (GET/HEAD/OPTIONS) need
`<module>:read` or `<module>:write` and everything else `<module>:write`; otherwise 403.
The exemptions are the unauthenticated surface of the Formance gateway: versions, health, info,
OIDC discovery, JWKS, the token endpoint, the API docs and payments' inbound PSP webhooks."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import jwt
from api.auth.router import DISCOVERY_PATH, JWKS_PATH, TOKEN_PATH
from api.auth.runtime import AuthRuntime, runtime_of
from api.errors import error_response
from domain.auth.scopes import accepted_scopes, parse_scope

EXEMPT_PATHS = frozenset({
    "/versions", "/_healthcheck", "/api/docs", "/api/openapi.json", "/docs/oauth2-redirect",
    f"/api/auth{DISCOVERY_PATH}", f"/api/auth{JWKS_PATH}", f"/api/auth{TOKEN_PATH}",
})
_EXEMPT_PATTERNS = (
    re.compile(r"^/api/[a-z]+/(_info|_healthcheck)$"),
    # PSPs call these with their own signatures, never with our tokens (v3 and v1 layouts).
    re.compile(r"^/api/payments/v3/connectors/webhooks/[^/]+(/.*)?$"),
    re.compile(r"^/api/payments/connectors/webhooks/[^/]+/[^/]+(/.*)?$"),
)
_REALM = 'realm="ledgerflow"'


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or any(p.match(path) for p in _EXEMPT_PATTERNS)


def _quote(text: str) -> str:
    return text.replace("\\", "").replace('"', "'")


class AuthEnforcementMiddleware:
    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, modules: Iterable[str],
                 clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.modules = frozenset(modules)
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        if is_exempt(path):
            await self.app(scope, receive, send)
            return
        rt = runtime_of(self.fastapi_app)
        token = _bearer(scope)
        if token is None:
            await _unauthorized("missing bearer token", None)(scope, receive, send)
            return
        try:
            claims = await self._verify(rt, token)
        except jwt.InvalidTokenError as exc:
            await _unauthorized(str(exc), "invalid_token")(scope, receive, send)
            return
        module = _module_of(path)
        if module in self.modules:
            method = scope["method"]
            needed = accepted_scopes(module, method)
            if needed.isdisjoint(parse_scope(claims.get("scope"))):
                wanted = " ".join(sorted(needed))
                response = error_response(
                    403, "FORBIDDEN", f"{method} on {module} needs one of the scopes: {wanted}",
                    headers={"WWW-Authenticate": f'Bearer {_REALM}, error="insufficient_scope", '
                                                 f'scope="{wanted}"'},
                )
                await response(scope, receive, send)
                return
        # Routes that care about the caller read it here.
        scope.setdefault("state", {})["auth_claims"] = claims
        await self.app(scope, receive, send)

    async def _verify(self, rt: AuthRuntime, token: str) -> dict[str, Any]:
        kid = jwt.unverified_header(token).get("kid")
        if isinstance(kid, str) and kid:
            await rt.keyring.knows(kid)
        return jwt.verify(token, rt.keyring.public_keys.get, issuer=rt.issuer,
                          audience=rt.audience, now=self.clock(), leeway=rt.leeway_seconds)


def _route_path(scope: Scope) -> str:
    # The path the router matches on: a server-configured root_path is not part of it.
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):] or "/"
    return path


def _module_of(path: str) -> str | None:
    parts = path.split("/", 3)
    if len(parts) >= 3 and parts[0] == "" and parts[1] == "api":
        return parts[2]
    return None


def _bearer(scope: Scope) -> str | None:
    values: list[bytes] = [v for k, v in scope["headers"] if k == b"authorization"]
    if len(values) != 1:  # two Authorization headers: ambiguous, refuse rather than pick one
        return None
    header = values[0].decode("latin-1")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _unauthorized(message: str, error: str | None) -> Any:
    challenge = f"Bearer {_REALM}"
    if error:  # RFC 6750 §3.1: no error code when the request carried no credentials at all
        challenge += f', error="{error}", error_description="{_quote(message)}"'
    return error_response(401, "UNAUTHORIZED", message, headers={"WWW-Authenticate": challenge})


def install_auth(app: FastAPI, modules: Iterable[str]) -> None:
    """Protect every route of `app`. Appended after the CORS middleware, so it runs inside it:
    CORS answers preflights itself and decorates our 401/403 with its headers."""
    app.user_middleware.append(
        Middleware(AuthEnforcementMiddleware, fastapi_app=app, modules=tuple(modules))
    )
