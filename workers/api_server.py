"""The API process: uvicorn serving the gateway app."""

from __future__ import annotations

import gc

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from config.settings import get_settings


def app_factory() -> FastAPI:
    app = create_app(get_settings())
    # Everything loaded so far (frameworks, the app) lives as long as the process: moved out of
    # the collector's reach, a full collection no longer walks those ~10^5 objects, which
    # stalled every request in flight (the write path's p99).
    gc.collect()
    gc.freeze()
    return app


def serve() -> None:
    settings = get_settings()
    uvicorn.run(
        "workers.api_server:app_factory",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # one log line per request costs more than the ledger write itself
        timeout_graceful_shutdown=settings.api_shutdown_grace_seconds,
    )
