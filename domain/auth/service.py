"""The auth use-cases: administering clients, secrets and users, and the client_credentials
grant that turns a client's id and secret into a signed access token."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from domain.auth import secrets as secret_hashing
from domain.auth.errors import (
    ClientNotFoundError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    SecretNotFoundError,
    UnsupportedGrantTypeError,
    UserNotFoundError,
)
from domain.auth.models import (
    AccessToken,
    Client,
    ClientOptions,
    ClientSecret,
    CreatedSecret,
    User,
)
from domain.auth.ports import AuthStore, TokenSigner
from domain.auth.scopes import grant, parse_scope
from domain.errors import ValidationError
from domain.protection import (
    ProtectedResource,
    ProtectedResources,
    ResourceKind,
    protected_error,
)

BOOTSTRAP_SECRET_NAME = "bootstrap"
# Metadata the stack sets on the clients it creates for itself (the bootstrap client), saying
# why it needs them. Kept in the client's row, not only in settings: `make run` creates its
# bootstrap client without telling the API process its id, and the mark must survive restarts.
# Reserved: the management API refuses it in a body, so no request can mark or unmark a client.
SYSTEM_CLIENT_KEY = "ledgerflow/system"


def _new_id() -> str:
    return str(uuid.uuid4())


async def _hash(clear: str) -> str:
    # scrypt takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(secret_hashing.hash_secret, clear)


async def _matches(client: Client, clear: str) -> bool:
    def check() -> bool:
        if not client.secrets:
            secret_hashing.burn_verification_time(clear)
            return False
        # Check every secret, not stopping at the first match, so timing does not reveal which.
        results = [secret_hashing.verify_secret(clear, s.secret_hash) for s in client.secrets]
        return any(results)

    return await asyncio.to_thread(check)


class AuthAdmin:
    """Clients, secrets and users (the `/api/auth` management endpoints and the CLI).

    With `protected` (the API's registry of the stack's own resources), the clients the stack
    needs cannot be deleted, changed or stripped of their bootstrap secret: those are the
    clients declared in the registry (the configured bootstrap client) and the ones marked with
    SYSTEM_CLIENT_KEY. Without it (the CLI, the bootstrap itself: the operator at the
    composition root), nothing is refused."""

    def __init__(self, store: AuthStore, *, protected: ProtectedResources | None = None) -> None:
        self.store = store
        self.protected = protected

    async def _protection(self, client_id: str, client: Client | None = None
                          ) -> ProtectedResource | None:
        if self.protected is None:
            return None
        declared = self.protected.get(ResourceKind.AUTH_CLIENT, client_id)
        if declared is not None:
            return declared
        client = client or await self.store.get_client(client_id)
        if client is not None and SYSTEM_CLIENT_KEY in client.metadata:
            return ProtectedResource(ResourceKind.AUTH_CLIENT, client_id, owner="auth",
                                     why=client.metadata[SYSTEM_CLIENT_KEY])
        return None

    async def _refuse_protected(self, client_id: str, action: str) -> None:
        found = await self._protection(client_id)
        if found is not None:
            raise protected_error(found, action)

    def _refuse_reserved(self, options: ClientOptions) -> None:
        if self.protected is not None and SYSTEM_CLIENT_KEY in options.metadata:
            raise ValidationError(f"metadata key {SYSTEM_CLIENT_KEY!r} is reserved: the stack "
                                  "sets it on the clients it needs for itself")

    async def create_client(self, options: ClientOptions, *, client_id: str | None = None
                            ) -> Client:
        self._refuse_reserved(options)
        client = Client(id=client_id or _new_id(), **options.model_dump())
        if not await self.store.insert_client(client):
            raise ValidationError(f"client {client.id} already exists")
        return client

    async def list_clients(self) -> list[Client]:
        return await self.store.list_clients()

    async def read_client(self, client_id: str) -> Client:
        client = await self.store.get_client(client_id)
        if client is None:
            raise ClientNotFoundError(client_id)
        return client

    async def update_client(self, client_id: str, options: ClientOptions) -> Client:
        # A full replace could drop scopes or the mark: a protected client is changed through
        # the settings that created it, not through the API.
        await self._refuse_protected(client_id, "changed")
        self._refuse_reserved(options)
        client = await self.store.update_client(client_id, options)
        if client is None:
            raise ClientNotFoundError(client_id)
        return client

    async def delete_client(self, client_id: str) -> None:
        await self._refuse_protected(client_id, "deleted")
        if not await self.store.delete_client(client_id):
            raise ClientNotFoundError(client_id)

    async def create_secret(self, client_id: str, name: str,
                            metadata: dict[str, str] | None = None) -> CreatedSecret:
        clear = secret_hashing.generate_secret()
        secret = ClientSecret(id=_new_id(), name=name,
                              last_digits=secret_hashing.last_digits(clear),
                              secret_hash=await _hash(clear), metadata=metadata or {})
        if not await self.store.insert_secret(client_id, secret):
            raise ClientNotFoundError(client_id)
        return CreatedSecret(id=secret.id, name=secret.name, last_digits=secret.last_digits,
                             clear=clear, metadata=secret.metadata)

    async def delete_secret(self, client_id: str, secret_id: str) -> None:
        if self.protected is not None:
            # Other secrets of a protected client may go; the one the stack made for it is how
            # the operator gets in.
            client = await self.store.get_client(client_id)
            secret = next((x for x in client.secrets if x.id == secret_id), None) \
                if client is not None else None
            if secret is not None and secret.name == BOOTSTRAP_SECRET_NAME:
                found = await self._protection(client_id, client)
                if found is not None:
                    raise protected_error(found, "stripped of its bootstrap secret")
        if not await self.store.delete_secret(client_id, secret_id):
            if await self.store.get_client(client_id) is None:
                raise ClientNotFoundError(client_id)
            raise SecretNotFoundError(client_id, secret_id)

    async def list_users(self) -> list[User]:
        return await self.store.list_users()

    async def read_user(self, user_id: str) -> User:
        user = await self.store.get_user(user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user

    async def create_user(self, *, subject: str | None = None, email: str | None = None
                          ) -> User:
        """Users come from delegated logins in Formance; here there is no login provider, so
        operators create them (CLI, bootstrap setting). Idempotent on the subject."""
        subject = (subject or email or "").strip()
        if not subject:
            raise ValidationError("a user needs a subject or an email")
        if email is not None and "@" not in email:
            raise ValidationError(f"invalid email {email!r}")
        return await self.store.upsert_user(User(id=_new_id(), subject=subject, email=email))

    async def ensure_client_with_secret(
        self, client_id: str, clear_secret: str, options: ClientOptions
    ) -> bool:
        """Make `client_id` exist and accept `clear_secret` (the bootstrap client). Returns True
        when something was created. A previous bootstrap secret that no longer matches is
        replaced, so changing the configured secret revokes the old one."""
        client = await self.store.get_client(client_id)
        if client is None:
            secret = ClientSecret(id=_new_id(), name=BOOTSTRAP_SECRET_NAME,
                                  last_digits=secret_hashing.last_digits(clear_secret),
                                  secret_hash=await _hash(clear_secret))
            new = Client(id=client_id, secrets=(secret,), **options.model_dump())
            if await self.store.insert_client(new):
                return True
            # Another process created it first (concurrent first starts): check its secret.
            client = await self.read_client(client_id)
        await self._mark(client, options)
        if await _matches(client, clear_secret):
            return False
        for old in client.secrets:
            if old.name == BOOTSTRAP_SECRET_NAME:
                await self.store.delete_secret(client_id, old.id)
        await self.store.insert_secret(client_id, ClientSecret(
            id=_new_id(), name=BOOTSTRAP_SECRET_NAME,
            last_digits=secret_hashing.last_digits(clear_secret),
            secret_hash=await _hash(clear_secret)))
        return True


    async def _mark(self, client: Client, options: ClientOptions) -> None:
        """Adds the metadata of `options` (the SYSTEM_CLIENT_KEY mark) to a client created before
        it was set; nothing else of the client changes."""
        if options.metadata.items() <= client.metadata.items():
            return
        current = ClientOptions(**client.model_dump(include=set(ClientOptions.model_fields)))
        await self.store.update_client(client.id, current.model_copy(
            update={"metadata": {**client.metadata, **options.metadata}}))


class TokenService:
    """The OAuth2 token endpoint's logic (RFC 6749 §4.4, client credentials)."""

    def __init__(
        self, store: AuthStore, signer: TokenSigner, *, issuer: str, audience: str,
        ttl_seconds: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.signer = signer
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    async def authenticate(self, client_id: str, client_secret: str) -> Client:
        if not client_id or not client_secret:
            raise InvalidClientError("client authentication failed")
        client = await self.store.get_client(client_id)
        if client is None:
            await asyncio.to_thread(secret_hashing.burn_verification_time, client_secret)
            raise InvalidClientError("client authentication failed")
        if not await _matches(client, client_secret):
            raise InvalidClientError("client authentication failed")
        return client

    async def client_credentials(
        self, *, grant_type: str | None, client_id: str, client_secret: str,
        scope: str | None,
    ) -> AccessToken:
        if not grant_type:
            raise InvalidRequestError("grant_type is required")
        if grant_type != "client_credentials":
            raise UnsupportedGrantTypeError(f"grant type {grant_type!r} is not supported")
        client = await self.authenticate(client_id, client_secret)
        requested = parse_scope(scope)
        granted = grant(requested, client.scopes)
        if requested and not granted:
            raise InvalidScopeError("none of the requested scopes is granted to this client")
        now = self.clock()
        issued_at = int(now.timestamp())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "sub": client.id,
            "aud": self.audience,
            "client_id": client.id,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + self.ttl_seconds,
            "jti": _new_id(),
            "scope": " ".join(granted),
        }
        token = await self.signer.sign(claims)
        return AccessToken(token=token, expires_in=self.ttl_seconds, scopes=granted)
