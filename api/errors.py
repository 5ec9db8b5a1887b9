"""The Formance error envelope for every error the API returns:
`{"errorCode": ..., "errorMessage": ..., "details"?: ...}`.

One table maps error codes to HTTP statuses; everything not listed is a 400 (Formance answers
business and validation errors with 400)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.availability import ServiceUnavailableError
from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError
from domain.ledger.errors import ErrorCode
from storage.failures import UNAVAILABLE_LOG, describe, unavailable

log = logging.getLogger("ledgerflow.api")

STATUS_BY_CODE: dict[str, int] = {
    NotFoundError.code: 404,
    ErrorCode.LEDGER_NOT_FOUND: 404,
    ConflictError.code: 409,
    ErrorCode.BULK_SIZE_EXCEEDED: 413,
    DomainError.code: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
}


def error_response(
    status: int, code: str, message: str, details: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"errorCode": code, "errorMessage": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, 400)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            parts.append(f"malformed JSON body: {ctx.get('error', err.get('msg'))}")
            continue
        parts.append(f"{loc}: {err.get('msg')}")
    return "; ".join(parts) or "invalid request"


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(status_for(exc.code), exc.code, exc.message, exc.details)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, ValidationError.code, _describe_validation(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        message = exc.detail if exc.detail != "Not Found" else f"no route for {request.url.path}"
        return error_response(404, NotFoundError.code, str(message))
    if exc.status_code == 405:
        return error_response(405, ValidationError.code,
                              f"method {request.method} is not allowed on {request.url.path}")
    code = {401: "UNAUTHORIZED", 403: "FORBIDDEN"}.get(exc.status_code, ValidationError.code)
    if exc.status_code >= 500:
        code = DomainError.code
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _json_error(_: Request, exc: Exception) -> JSONResponse:
    return error_response(400, ValidationError.code, f"malformed JSON body: {exc}")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    down = unavailable(exc)
    if down is not None:
        return await _unavailable(request, down)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, DomainError.code, "internal error")


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 for every module, reads and writes alike: the request may be retried. One short,
    rate-limited log line (an outage fails every request the same way)."""
    assert isinstance(exc, ServiceUnavailableError)
    cause = exc.__cause__ or exc.__context__
    UNAVAILABLE_LOG.warning("%s %s: 503 %s%s", request.method, request.url.path, exc.message,
                            f" ({describe(cause)})" if cause is not None else "")
    return error_response(503, exc.code, exc.message, headers={"Retry-After": "1"})


async def _driver_error(request: Request, exc: Exception) -> JSONResponse:
    return await _unexpected(request, exc)


_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[JSONResponse]]] = {
    DomainError: _domain_error,
    RequestValidationError: _validation_error,
    StarletteHTTPException: _http_error,
    json.JSONDecodeError: _json_error,
    ServiceUnavailableError: _unavailable,
    # Database errors are answered here rather than by the catch-all `Exception`, which
    # Starlette runs in its outermost middleware and then re-raises: the server logs a second
    # traceback and drops the keep-alive connection of a client that was already answered.
    SQLAlchemyError: _driver_error,
    asyncpg.PostgresError: _driver_error,
    asyncpg.InterfaceError: _driver_error,
    OSError: _driver_error,
    Exception: _unexpected,
}


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, handler in _HANDLERS.items():
        app.add_exception_handler(exc_type, handler)


async def error_response_for(request: Request, exc: Exception) -> JSONResponse:
    """The answer the app's handlers give for `exc` (the closest class wins, as in Starlette),
    for code that runs a route outside the framework's stack (api/ledger/hot_writes.py)."""
    for cls in type(exc).__mro__:
        handler = _HANDLERS.get(cls)
        if handler is not None:
            return await handler(request, exc)
    return await _unexpected(request, exc)
