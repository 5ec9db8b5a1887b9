"""The in-memory view of our signing keys: the active private key signs, every published public
key verifies. Loaded from PostgreSQL on first use, refreshed periodically and when a token names
a key id we have not seen (another replica rotated), at most once per `min_reload_seconds` so a
flood of made-up key ids cannot turn into a flood of queries (the first such reload is immediate,
so a rotation done by another replica is picked up at once)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import jwt
from storage.auth.signing_keys import SigningKeyRecord


class SigningKeyStore(Protocol):
    async def ensure_active(self) -> SigningKeyRecord: ...

    async def load(self) -> list[SigningKeyRecord]: ...


class KeyRing:
    def __init__(self, store: SigningKeyStore, *, refresh_seconds: float = 300.0,
                 min_reload_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.min_reload_seconds = min_reload_seconds
        self.clock = clock
        self._public: dict[str, rsa.RSAPublicKey] = {}
        self._signing: tuple[str, rsa.RSAPrivateKey] | None = None
        self._loaded_at: float | None = None
        self._last_forced: float | None = None
        self._lock = asyncio.Lock()

    @property
    def public_keys(self) -> Mapping[str, rsa.RSAPublicKey]:
        return self._public

    def _stale(self) -> bool:
        return self._loaded_at is None or self.clock() - self._loaded_at > self.refresh_seconds

    async def _reload(self, *, unless_newer_than: float) -> None:
        async with self._lock:
            # Whoever held the lock before us may have just loaded: do not query again.
            if self._loaded_at is not None and self._loaded_at > unless_newer_than:
                return
            await self.store.ensure_active()
            records = await self.store.load()
            public: dict[str, rsa.RSAPublicKey] = {}
            signing: tuple[str, rsa.RSAPrivateKey] | None = None
            for record in records:
                private = jwt.load_private_key(record.private_key_pem)
                public[record.kid] = private.public_key()
                if record.active:
                    signing = (record.kid, private)
            self._public, self._signing = public, signing
            self._loaded_at = self.clock()

    async def _ensure_loaded(self) -> None:
        if self._stale():
            await self._reload(unless_newer_than=self.clock() - self.refresh_seconds)

    async def knows(self, kid: str) -> bool:
        """Whether `kid` is one of our keys, reloading once if it is new to us."""
        await self._ensure_loaded()
        if kid in self._public:
            return True
        now = self.clock()
        if self._last_forced is None or now - self._last_forced >= self.min_reload_seconds:
            self._last_forced = now
            await self._reload(unless_newer_than=now)
        return kid in self._public

    async def sign(self, claims: Mapping[str, object]) -> str:
        await self._ensure_loaded()
        if self._signing is None:  # only if the active key vanished between two queries
            await self._reload(unless_newer_than=self.clock())
        assert self._signing is not None
        kid, key = self._signing
        return jwt.sign(claims, key, kid)

    async def jwks(self) -> dict[str, Any]:
        await self._ensure_loaded()
        return {"keys": [jwt.public_jwk(kid, key) for kid, key in self._public.items()]}
