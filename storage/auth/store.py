"""The auth store behind the use-cases (domain.auth.ports.AuthStore)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.auth.models import Client, ClientOptions, ClientSecret, User
from storage.auth.tables import auth_client_secrets, auth_clients, auth_users
from storage.database import Database

_OPTION_COLUMNS = ("name", "description", "public", "trusted", "redirect_uris",
                   "post_logout_redirect_uris", "scopes", "metadata")


def _option_values(options: ClientOptions) -> dict[str, Any]:
    values = options.model_dump(include=set(_OPTION_COLUMNS))
    for key in ("redirect_uris", "post_logout_redirect_uris", "scopes"):
        values[key] = list(values[key])
    return values


def _secret_from_row(row: Row[Any]) -> ClientSecret:
    return ClientSecret(id=row.id, name=row.name, last_digits=row.last_digits,
                        secret_hash=row.hash, metadata=row.metadata or {})


def _client_from_row(row: Row[Any], secrets: Iterable[ClientSecret]) -> Client:
    return Client(
        id=row.id, name=row.name, description=row.description, public=row.public,
        trusted=row.trusted, redirect_uris=tuple(row.redirect_uris),
        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris),
        scopes=tuple(row.scopes), metadata=row.metadata or {}, secrets=tuple(secrets),
    )


def _user_from_row(row: Row[Any]) -> User:
    return User(id=row.id, subject=row.subject, email=row.email)


async def _with_secrets(conn: AsyncConnection, rows: Sequence[Row[Any]]) -> list[Client]:
    if not rows:
        return []
    secret_rows = (await conn.execute(
        select(auth_client_secrets)
        .where(auth_client_secrets.c.client_id.in_([r.id for r in rows]))
        .order_by(auth_client_secrets.c.created_at, auth_client_secrets.c.id)
    )).all()
    by_client: dict[str, list[ClientSecret]] = defaultdict(list)
    for s in secret_rows:
        by_client[s.client_id].append(_secret_from_row(s))
    return [_client_from_row(r, by_client[r.id]) for r in rows]


def _secret_values(client_id: str, secret: ClientSecret) -> dict[str, Any]:
    return {"id": secret.id, "client_id": client_id, "name": secret.name,
            "last_digits": secret.last_digits, "hash": secret.secret_hash,
            "metadata": secret.metadata}  # created_at: the column's default


class SqlAuthStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def insert_client(self, client: Client) -> bool:
        async with self.database.transaction() as conn:
            inserted = (await conn.execute(
                pg_insert(auth_clients)
                .values(id=client.id, created_at=func.now(), **_option_values(client))
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(auth_clients.c.id)
            )).first()
            if inserted is None:
                return False
            if client.secrets:
                await conn.execute(insert(auth_client_secrets),
                                   [_secret_values(client.id, s) for s in client.secrets])
        return True

    async def get_client(self, client_id: str) -> Client | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(
                select(auth_clients).where(auth_clients.c.id == client_id)
            )).first()
            clients = await _with_secrets(conn, [row] if row else [])
        return clients[0] if clients else None

    async def list_clients(self) -> list[Client]:
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(
                select(auth_clients).order_by(auth_clients.c.created_at, auth_clients.c.id)
            )).all()
            return await _with_secrets(conn, rows)

    async def update_client(self, client_id: str, options: ClientOptions) -> Client | None:
        async with self.database.transaction() as conn:
            row = (await conn.execute(
                update(auth_clients).where(auth_clients.c.id == client_id)
                .values(**_option_values(options)).returning(auth_clients)
            )).first()
            clients = await _with_secrets(conn, [row] if row else [])
        return clients[0] if clients else None

    async def delete_client(self, client_id: str) -> bool:
        async with self.database.transaction() as conn:
            result = await conn.execute(delete(auth_clients).where(auth_clients.c.id == client_id))
        return bool(result.rowcount)

    async def insert_secret(self, client_id: str, secret: ClientSecret) -> bool:
        async with self.database.transaction() as conn:
            # Lock the client row so a concurrent delete cannot orphan the secret.
            exists = (await conn.execute(
                select(auth_clients.c.id).where(auth_clients.c.id == client_id).with_for_update()
            )).first()
            if exists is None:
                return False
            await conn.execute(insert(auth_client_secrets).values(
                **_secret_values(client_id, secret)))
        return True

    async def delete_secret(self, client_id: str, secret_id: str) -> bool:
        async with self.database.transaction() as conn:
            result = await conn.execute(
                delete(auth_client_secrets).where(auth_client_secrets.c.client_id == client_id,
                                                  auth_client_secrets.c.id == secret_id)
            )
        return bool(result.rowcount)

    async def list_users(self) -> list[User]:
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(
                select(auth_users).order_by(auth_users.c.created_at, auth_users.c.id)
            )).all()
        return [_user_from_row(r) for r in rows]

    async def get_user(self, user_id: str) -> User | None:
        async with self.database.engine.connect() as conn:
            row = (await conn.execute(
                select(auth_users).where(auth_users.c.id == user_id)
            )).first()
        return _user_from_row(row) if row else None

    async def upsert_user(self, user: User) -> User:
        insert_user = pg_insert(auth_users).values(
            id=user.id, subject=user.subject, email=user.email, created_at=func.now())
        stmt = insert_user.on_conflict_do_update(
            index_elements=["subject"],
            set_={"email": func.coalesce(insert_user.excluded.email, auth_users.c.email)},
        ).returning(auth_users)
        async with self.database.transaction() as conn:
            row = (await conn.execute(stmt)).one()
        return _user_from_row(row)
