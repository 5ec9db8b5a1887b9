"""The RSA keys that sign access tokens, persisted so that every replica and every restart
signs and verifies with the same keys.

Exactly one key is active (it signs); inactive ones stay published in the JWKS so tokens they
signed keep validating after a rotation. Creation of the first key runs under a transaction-level
advisory lock and the table's partial unique index on `active`, so concurrent first starts end up
with a single key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Row, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.auth.tables import auth_signing_keys
from storage.database import Database

_KEY_LOCK_ID = 7_261_004  # arbitrary, constant: the advisory lock every key creator shares
RSA_KEY_BITS = 2048


@dataclass(frozen=True)
class SigningKeyRecord:
    kid: str
    private_key_pem: str = field(repr=False)
    active: bool
    created_at: datetime


def generate_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _record(row: Row[Any]) -> SigningKeyRecord:
    return SigningKeyRecord(kid=row.kid, private_key_pem=row.private_key_pem, active=row.active,
                            created_at=row.created_at)


async def _insert_active(conn: AsyncConnection) -> SigningKeyRecord:
    row = (await conn.execute(
        auth_signing_keys.insert().values(
            kid=secrets.token_urlsafe(12), private_key_pem=generate_private_key_pem(),
            active=True, created_at=func.now(),
        ).returning(auth_signing_keys)
    )).one()
    return _record(row)


class SqlSigningKeyStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def load(self) -> list[SigningKeyRecord]:
        """Every key, the active one first."""
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(
                select(auth_signing_keys).order_by(auth_signing_keys.c.active.desc(),
                                                   auth_signing_keys.c.created_at.desc())
            )).all()
        return [_record(r) for r in rows]

    async def ensure_active(self) -> SigningKeyRecord:
        """The active key, created if there is none yet."""
        query = select(auth_signing_keys).where(auth_signing_keys.c.active)
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is not None:
            return _record(row)
        async with self.database.transaction() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _KEY_LOCK_ID})
            row = (await conn.execute(query)).first()
            if row is not None:  # another process created it while we waited for the lock
                return _record(row)
            return await _insert_active(conn)

    async def rotate(self) -> SigningKeyRecord:
        """A new active key; the previous one stays published for the tokens it signed."""
        async with self.database.transaction() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _KEY_LOCK_ID})
            await conn.execute(update(auth_signing_keys).where(auth_signing_keys.c.active)
                               .values(active=False))
            return await _insert_active(conn)

    async def prune_inactive(self, older_than: datetime) -> int:
        """Drop retired keys created before `older_than` (once no token they signed is alive)."""
        async with self.database.transaction() as conn:
            result = await conn.execute(
                auth_signing_keys.delete().where(~auth_signing_keys.c.active,
                                                 auth_signing_keys.c.created_at < older_than)
            )
        return int(result.rowcount or 0)
