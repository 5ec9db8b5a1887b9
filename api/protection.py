"""One registry per app of the resources the stack itself needs (domain/protection.py says why
they are refused rather than made recoverable). Every module with such resources exposes
`declare_protected(registry, app)` and is listed in DECLARING_MODULES; the registry is built from
their declarations on first use, so each declaration reads the app's real configuration (the
wallets ledger the wallets service actually uses, the configured bootstrap client).

The routes that could destroy or disable a declared resource ask the registry first: deleting a
bucket (api/ledger/buckets.py), giving a ledger a schema (api/ledger/schemas.py) or importing
logs into it (api/ledger/logs_io.py), deleting, changing or removing the bootstrap secret of an
auth client (api/auth/router.py, through domain/auth/service.py)."""

from __future__ import annotations

from importlib import import_module

from fastapi import FastAPI, Request

from domain.protection import ProtectedResources

# Orchestration and payments add theirs here when they land (their system ledgers).
DECLARING_MODULES = ("api.wallets.router", "api.auth.router")


def protected_resources(app: FastAPI) -> ProtectedResources:
    registry = getattr(app.state, "protected_resources", None)
    if registry is None:
        registry = ProtectedResources()
        for name in DECLARING_MODULES:
            # Imported here: the declaring modules import much of the API themselves.
            import_module(name).declare_protected(registry, app)
        app.state.protected_resources = registry
    assert isinstance(registry, ProtectedResources)
    return registry


def protected(request: Request) -> ProtectedResources:
    """FastAPI dependency."""
    return protected_resources(request.app)
