"""Auth bootstrap for the composition root (dev stack, CLI, API startup): a client holding every
Stack scope whose id and secret come from settings, and optional users."""

from __future__ import annotations

from domain.auth.models import ClientOptions, User
from domain.auth.scopes import all_stack_scopes
from domain.auth.service import SYSTEM_CLIENT_KEY, AuthAdmin
from storage.auth.store import SqlAuthStore
from storage.database import Database

BOOTSTRAP_CLIENT_NAME = "bootstrap"


async def ensure_bootstrap_client(database: Database, client_id: str, client_secret: str) -> bool:
    """True when the client or its secret was created now (first start, or a changed secret)."""
    options = ClientOptions(name=BOOTSTRAP_CLIENT_NAME, scopes=all_stack_scopes(),
                            description="created at first start; holds every Stack scope",
                            metadata={SYSTEM_CLIENT_KEY: "the bootstrap client: the operator's "
                                      "way in, holding every scope"})
    return await AuthAdmin(SqlAuthStore(database)).ensure_client_with_secret(
        client_id, client_secret, options)


async def ensure_user(database: Database, *, email: str | None, subject: str | None = None
                      ) -> User:
    return await AuthAdmin(SqlAuthStore(database)).create_user(subject=subject, email=email)


async def create_client_with_secret(database: Database, name: str, scopes: tuple[str, ...]
                                    ) -> tuple[str, str]:
    """A new client and its first secret: (client id, clear secret, shown this once)."""
    admin = AuthAdmin(SqlAuthStore(database))
    client = await admin.create_client(ClientOptions(name=name, scopes=scopes))
    secret = await admin.create_secret(client.id, "default")
    return client.id, secret.clear


async def apply_bootstrap_settings(
    database: Database, *, client_id: str | None, client_secret: str | None,
    user_email: str | None,
) -> list[str]:
    """What AUTH_BOOTSTRAP_* settings ask for; returns what was done, for the log."""
    done = []
    if client_id and client_secret:
        created = await ensure_bootstrap_client(database, client_id, client_secret)
        done.append(f"bootstrap client {client_id} " + ("created" if created else "present"))
    if user_email:
        user = await ensure_user(database, email=user_email)
        done.append(f"user {user.email} ({user.id}) present")
    return done
