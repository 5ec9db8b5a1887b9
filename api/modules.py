"""The Formance modules the gateway serves, with the routers that implement them.

A module whose router defines its own `/_info` keeps it; the gateway adds a generic one for the
others, so `/api/<module>/_info` answers for every module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from fastapi import APIRouter
from starlette.types import ASGIApp

VERSION = "0.1.0"


@dataclass(frozen=True)
class Module:
    name: str
    needs_temporal: bool  # its processes run on Temporal, so its health depends on it
    router: APIRouter | None = None
    # Optional ASGI wrapper around the module's mounted routes (per-request context).
    wrap: Callable[[ASGIApp], ASGIApp] | None = None


def modules() -> list[Module]:
    # Routers are imported here, not at module import, so only building the app loads them.
    ledger = import_module("api.ledger")
    return [
        Module("auth", needs_temporal=False, router=_router("api.auth")),
        Module("ledger", needs_temporal=False, router=ledger.router,
               wrap=ledger.LedgerRequestContext),
        Module("payments", needs_temporal=True),
        Module("orchestration", needs_temporal=True),
        Module("reconciliation", needs_temporal=True),
        Module("search", needs_temporal=False),
        Module("wallets", needs_temporal=True, router=_router("api.wallets")),
        Module("webhooks", needs_temporal=True, router=_router("api.webhooks")),
    ]


def _router(package: str) -> APIRouter:
    router = import_module(package).router
    assert isinstance(router, APIRouter), f"{package}.router must be an APIRouter"
    return router
