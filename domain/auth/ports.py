"""What the auth use-cases need from the outside world."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from domain.auth.models import Client, ClientOptions, ClientSecret, User


class AuthStore(Protocol):
    async def insert_client(self, client: Client) -> bool:
        """Insert with its secrets; False (and nothing written) when the id already exists."""
        ...

    async def get_client(self, client_id: str) -> Client | None: ...

    async def list_clients(self) -> list[Client]: ...

    async def update_client(self, client_id: str, options: ClientOptions) -> Client | None:
        """Replace the options (secrets are kept); None when the client does not exist."""
        ...

    async def delete_client(self, client_id: str) -> bool: ...

    async def insert_secret(self, client_id: str, secret: ClientSecret) -> bool:
        """False when the client does not exist."""
        ...

    async def delete_secret(self, client_id: str, secret_id: str) -> bool: ...

    async def list_users(self) -> list[User]: ...

    async def get_user(self, user_id: str) -> User | None: ...

    async def upsert_user(self, user: User) -> User:
        """Insert, or return the existing user with the same subject (email updated)."""
        ...


class TokenSigner(Protocol):
    async def sign(self, claims: Mapping[str, object]) -> str:
        """A compact JWS of `claims`, signed with the current signing key."""
        ...
