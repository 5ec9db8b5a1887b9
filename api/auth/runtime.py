"""What the auth router and the enforcement middleware share for one app: the key ring and the
token parameters derived from settings."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from starlette.requests import Request

from api.auth.keys import KeyRing
from api.dependencies import dependencies_of
from config.settings import Settings
from domain.auth.service import AuthAdmin, TokenService
from storage.auth.signing_keys import SqlSigningKeyStore
from storage.auth.store import SqlAuthStore
from storage.database import Database


@dataclass(frozen=True)
class AuthRuntime:
    issuer: str
    audience: str
    ttl_seconds: int
    leeway_seconds: int
    keyring: KeyRing
    store: SqlAuthStore

    @classmethod
    def build(cls, settings: Settings, database: Database) -> AuthRuntime:
        return cls(
            issuer=issuer_for(settings), audience=audience_for(settings),
            ttl_seconds=settings.auth_token_ttl_seconds,
            leeway_seconds=settings.auth_clock_leeway_seconds,
            keyring=KeyRing(SqlSigningKeyStore(database)), store=SqlAuthStore(database),
        )

    def admin(self) -> AuthAdmin:
        return AuthAdmin(self.store)

    def tokens(self) -> TokenService:
        return TokenService(self.store, self.keyring, issuer=self.issuer, audience=self.audience,
                            ttl_seconds=self.ttl_seconds)


def issuer_for(settings: Settings) -> str:
    return f"{settings.public_base_url}/api/auth"


def audience_for(settings: Settings) -> str:
    # The whole stack is one resource server (every module trusts the same tokens).
    return settings.auth_audience or settings.public_base_url


def runtime_of(app: FastAPI) -> AuthRuntime:
    """The app's runtime, built with its other dependencies when the app was created."""
    return dependencies_of(app).part(AuthRuntime)


def runtime(request: Request) -> AuthRuntime:
    """FastAPI dependency."""
    return runtime_of(request.app)
