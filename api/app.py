"""The one FastAPI app, laid out like the Formance gateway: `/versions`, and every module under
`/api/<module>/...`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth.runtime import AuthRuntime
from api.catalog import modules
from api.dependencies import Dependencies
from api.errors import error_response, install_error_handlers
from api.health import HealthChecks
from api.input_guard import InputGuard
from api.ledger.hot_writes import hot_writes, is_hot
from api.metrics import measured, metrics_endpoint, observe_write_batches
from api.modules import VERSION, Module
from config.modules import ModuleSettings
from config.settings import Settings
from storage.database import Database
from workflows.telemetry import configure_tracing


class GatewayApp(FastAPI):
    """The FastAPI app, with the ledger's two write routes answered before its middleware stack
    (api/ledger/hot_writes.py says why and how they stay identical). Every HTTP request first
    passes the input guard (NUL characters, body size: api/input_guard.py), on both paths."""

    hot_writes: ASGIApp | None = None
    input_guard: InputGuard | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every request counted, timed and traced (api/metrics.py), the hot writes included.
        await measured(scope, receive, send, self._guarded)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.input_guard is not None and scope["type"] == "http":
            await self.input_guard(scope, receive, send, self._dispatch)
            return
        await self._dispatch(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hot_writes is not None and is_hot(scope):
            scope["app"] = self
            await self.hot_writes(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, database: Database | None = None,
               module_settings: ModuleSettings | None = None) -> FastAPI:
    owns_database = database is None
    if settings.otel_exporter_otlp_endpoint:  # before the Temporal client connects
        configure_tracing("ledgerflow-api", settings.otel_exporter_otlp_endpoint)
    db = database or Database(
        settings.effective_database_url, pool_size=settings.database_pool_size
    )
    deps = Dependencies.build(settings, db, module_settings or ModuleSettings())
    observe_write_batches(deps.ledger.store.write_stats, deps.ledger.store.write_sizes)
    checks = HealthChecks(db, deps.temporal)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_database:
            await db.dispose()

    app = GatewayApp(
        title="Ledgerflow",
        version=VERSION,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.input_guard = InputGuard(settings)
    app.state.database = db
    deps.provide(AuthRuntime.build(settings, db))
    deps.install(app)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"],
                       allow_headers=["*"])
    install_error_handlers(app)

    mods = modules(deps.modules)
    if settings.auth_enabled:
        from api.auth import install_auth  # after CORS: preflights never need a token

        install_auth(app, [m.name for m in mods])
    app.hot_writes = hot_writes(
        app, auth_modules=[m.name for m in mods] if settings.auth_enabled else None)

    @app.get("/versions", operation_id="getVersions", tags=["gateway"])
    async def get_versions() -> dict[str, Any]:
        report = await checks.modules(mods)
        return {
            "region": settings.stack_region,
            "env": settings.stack_env,
            "versions": [{"name": m.name, "version": VERSION, "health": not report[m.name]}
                         for m in mods],
        }

    app.add_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)

    @app.get("/_healthcheck", tags=["gateway"])
    async def healthcheck() -> JSONResponse:
        deps = await checks.dependencies()
        return _health_response([p for p in (deps.postgres, deps.temporal) if p],
                                temporal="ok")

    app.state.module_routers = {}
    for module in mods:
        _mount(app, module, checks)
    app.openapi = _openapi_from_routers(app)  # type: ignore[method-assign]
    return app


def _health_response(problems: list[str], *, temporal: str) -> JSONResponse:
    if problems:
        return error_response(503, "SERVICE_UNAVAILABLE", "; ".join(problems))
    return JSONResponse({"postgres": "ok", "temporal": temporal})


def _mount(app: FastAPI, module: Module, checks: HealthChecks) -> None:
    """Each module is a Mount on its path prefix: a request is matched against the few gateway
    routes, then against its own module's routes only. (FastAPI's per-route matching costs tens
    of microseconds; with every module included flat, a ledger write walked ~50 routes, which
    was over a third of its CPU time.) The OpenAPI document still lists every route: it is built
    from an unmounted copy (see `_openapi_from_routers`)."""
    prefix = f"/api/{module.name}"
    routes = APIRouter()
    if module.router is not None:
        # The module's own routes first: the hot ones are matched before the probes below.
        # Added flat: FastAPI re-walks included routers on every request.
        routes.routes.extend(module.router.routes)
    own_paths = {getattr(r, "path", "") for r in module.router.routes} if module.router else set()
    if "/_info" not in own_paths:
        async def info() -> dict[str, str]:
            return {"name": module.name, "version": VERSION}

        routes.add_api_route("/_info", info, methods=["GET"], tags=[module.name],
                             operation_id=f"{module.name}_getServerInfo")

    async def module_health(request: Request) -> JSONResponse:
        report = await checks.modules([module])
        return _health_response(report[module.name],
                                temporal="ok" if module.task_queue else "not needed")

    routes.add_api_route("/_healthcheck", module_health, methods=["GET"],
                         tags=[module.name], include_in_schema=False)
    app.mount(prefix, module.wrap(routes) if module.wrap else routes, name=module.name)
    app.state.module_routers[prefix] = routes


def _openapi_from_routers(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Mounted routers are invisible to FastAPI's OpenAPI generation, so the document comes from
    a twin app that includes them (built once, on first request of the document)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            twin = FastAPI(title=app.title, version=app.version)
            for route in app.routes:
                if isinstance(route, APIRoute):
                    twin.router.routes.append(route)
            for prefix, router in app.state.module_routers.items():
                twin.include_router(router, prefix=prefix)
            app.openapi_schema = twin.openapi()
        return app.openapi_schema

    return openapi
