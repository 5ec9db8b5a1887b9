"""The API process: uvicorn serving the gateway app."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from config.settings import get_settings


def app_factory() -> FastAPI:
    return create_app(get_settings())


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
    )
