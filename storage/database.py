"""The async engine and how the rest of the code borrows connections from it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from domain.availability import DatabaseUnavailableError

__all__ = ["Database", "DatabaseUnavailableError"]

# No wait on the database is unbounded: a connection attempt, a free pooled connection.
CONNECT_TIMEOUT_S = 5.0
POOL_TIMEOUT_S = 10.0
# A backstop for any one statement (a server that accepts and never answers): far above what a
# request's statement takes, so it only ever ends a hang (then 503, or, for a write, a read-back).
STATEMENT_TIMEOUT_S = 60.0
# Closing the pools on shutdown waits this long for connections still in use.
DISPOSE_TIMEOUT_S = 5.0


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        rest = f"{user}:***@{host}" if ":" in creds else f"{user}@{host}"
    return f"{scheme}{sep}{rest}"


class Database:
    """One pool per process. `pool_reset_on_return=None`: every unit of work ends with an explicit
    commit or rollback, so the extra ROLLBACK round trip SQLAlchemy adds on check-in is waste on
    the hot path."""

    def __init__(self, url: str, *, pool_size: int = 20, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
            pool_reset_on_return=None,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args={"timeout": CONNECT_TIMEOUT_S,
                          "command_timeout": STATEMENT_TIMEOUT_S},
            **engine_kwargs,
        )
        # A pooled connection whose socket is known closed (PostgreSQL restarted) is replaced
        # at checkout: a local check, no round trip, and no request fails on a dead connection.
        event.listen(self.engine.sync_engine.pool, "checkout", _closed_is_disconnected)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._pool_size = pool_size
        self._write_pool: asyncpg.Pool | None = None
        self._write_pool_lock = asyncio.Lock()

    @property
    def display_url(self) -> str:
        return _redact(self.url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside BEGIN ... COMMIT (rolled back on any exception)."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def check(self) -> None:
        """Raises DatabaseUnavailableError unless a real round trip to PostgreSQL succeeds."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver or socket failure means "down" to the caller
            raise DatabaseUnavailableError(
                f"PostgreSQL at {self.display_url} is unreachable: {exc.__class__.__name__}: {exc}"
            ) from exc

    async def write_pool(self) -> asyncpg.Pool:
        """Plain asyncpg connections for the ledger's write path, which speaks raw SQL anyway:
        checking a connection out through SQLAlchemy's pool cost ~9% of a write's CPU time, and
        asyncpg's default reset on release (`RESET ALL; UNLISTEN *; ...`) one more round trip.
        Writers never change session state, so release only rolls back an open transaction."""
        if self._write_pool is None:
            async with self._write_pool_lock:
                if self._write_pool is None:
                    dsn = make_url(self.url).set(drivername="postgresql")
                    self._write_pool = await asyncpg.create_pool(
                        dsn.render_as_string(hide_password=False),
                        # No floor: asyncpg would keep reconnecting it during an outage,
                        # logging a traceback each time. Used connections stay pooled anyway.
                        min_size=0,
                        max_size=self._pool_size, reset=_keep_session,
                        timeout=CONNECT_TIMEOUT_S, command_timeout=STATEMENT_TIMEOUT_S,
                        # Our statements are short; JIT compilation would only add latency.
                        # The write statements are prepared once per connection and their
                        # plans do not depend on the values (arrays, JSON documents): planning
                        # the batch statement anew each time cost ~1 ms per batch.
                        server_settings={"jit": "off",
                                         "plan_cache_mode": "force_generic_plan"},
                    )
        return self._write_pool

    async def dispose(self) -> None:
        """Bounded: a connection still held (a request cut off by the shutdown grace period)
        is terminated rather than waited for."""
        if self._write_pool is not None:
            pool, self._write_pool = self._write_pool, None
            try:
                await asyncio.wait_for(pool.close(), DISPOSE_TIMEOUT_S)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pool.terminate()
        await self.engine.dispose()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset query on release (asyncpg still rolls back an open transaction first)."""


def _closed_is_disconnected(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise sa_exc.DisconnectionError("connection closed by the server")
