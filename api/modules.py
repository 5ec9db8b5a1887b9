"""The Formance modules the gateway serves, with the routers that implement them.

A module whose router defines its own `/_info` keeps it; the gateway adds a generic one for the
others, so `/api/<module>/_info` answers for every module."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

VERSION = "0.1.0"


@dataclass(frozen=True)
class Module:
    name: str
    needs_temporal: bool  # its processes run on Temporal, so its health depends on it
    router: APIRouter | None = None


def modules() -> list[Module]:
    # Imports are local so that a module's router is only loaded when the app is built.
    return [
        Module("auth", needs_temporal=False, router=_auth_router()),
        Module("ledger", needs_temporal=False, router=_ledger_router()),
        Module("payments", needs_temporal=True),
        Module("orchestration", needs_temporal=True),
        Module("reconciliation", needs_temporal=True),
        Module("search", needs_temporal=False),
        Module("wallets", needs_temporal=True, router=_wallets_router()),
        Module("webhooks", needs_temporal=True, router=_webhooks_router()),
    ]


def _auth_router() -> APIRouter:
    from api.auth import router

    return router


def _ledger_router() -> APIRouter | None:
    try:
        from api.ledger import router
    except ImportError:  # the ledger module is being built alongside; the gateway still serves
        return None
    assert isinstance(router, APIRouter)
    return router


def _webhooks_router() -> APIRouter:
    from api.webhooks import router

    return router


def _wallets_router() -> APIRouter:
    from api.wallets import router

    return router
