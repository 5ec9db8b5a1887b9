"""The resources the stack itself needs (domain/protection.py says why they are refused rather
than made recoverable). Every module with such resources exposes
`declare_protected(registry, deps)` and is listed in api/dependencies.py PROTECTING_MODULES; the
registry is filled once when the app's dependencies are installed, so each declaration reads the
app's real configuration (the wallets ledger the wallets service actually uses, the configured
bootstrap client).

The routes that could destroy or disable a declared resource ask the registry first: deleting a
bucket (api/ledger/buckets.py), giving a ledger a schema (api/ledger/schemas.py) or importing
logs into it (api/ledger/logs_io.py), deleting, changing or removing the bootstrap secret of an
auth client (api/auth/router.py, through domain/auth/service.py)."""

from __future__ import annotations

from fastapi import FastAPI, Request

from api.dependencies import dependencies_of
from domain.protection import ProtectedResources


def protected_resources(app: FastAPI) -> ProtectedResources:
    return dependencies_of(app).protected


def protected(request: Request) -> ProtectedResources:
    """FastAPI dependency."""
    return protected_resources(request.app)
