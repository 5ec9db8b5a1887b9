"""The one place that decides whether an error means "PostgreSQL is unreachable" (as opposed to
a bug or a business refusal), for asyncpg and SQLAlchemy alike, and the rate-limited log line
such a failure gets. During an outage every request fails the same way: one short line per
failure, at most a few per second, instead of a traceback each."""

from __future__ import annotations

import logging
import re
import time
from types import TracebackType

import asyncpg
from sqlalchemy import exc as sa_exc

from domain.availability import DatabaseUnavailableError

# SQLSTATE classes and codes the server sends when it is going away or cannot take us:
# 08 connection exception, 57P01-03 admin/crash shutdown and "cannot connect now" (starting up
# or recovering), 53300 too many connections.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")

# asyncpg's words for a connection that is gone. When the socket of a pooled connection is lost
# while it is checked out, asyncpg cleans the connection up at once and hands its holder back
# to the pool, detaching the proxy its user still holds (Connection._cleanup ->
# PoolConnectionHolder._release_on_close): the user's next call on that proxy says "released
# back to the pool", not "closed", although nobody released it. (The write path never uses a
# connection after releasing it itself: a group-commit leader waits for every turn first.)
_CLOSED = re.compile(r"closed|released back to the pool")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 16:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return seen


def _from_driver(tb: TracebackType | None) -> bool:
    """A bare OSError counts only when it came out of the database driver or SQLAlchemy (an
    HTTP client's socket error is someone else's outage)."""
    while tb is not None:
        name = str(tb.tb_frame.f_globals.get("__name__", ""))
        if name.startswith(("asyncpg", "sqlalchemy")):
            return True
        tb = tb.tb_next
    return False


def is_connection_failure(exc: BaseException) -> bool:
    """True when `exc` says the database connection failed or could not be made."""
    for e in _chain(exc):
        if isinstance(e, DatabaseUnavailableError):
            return True
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, asyncpg.PostgresError):
            if str(getattr(e, "sqlstate", "") or "").startswith(_UNAVAILABLE_STATES):
                return True
            continue
        if isinstance(e, asyncpg.InterfaceError) and _CLOSED.search(str(e)):
            return True
        if isinstance(e, sa_exc.TimeoutError):  # no pooled connection came free in time
            return True
        if isinstance(e, OSError) and _from_driver(e.__traceback__):
            return True  # refused, reset, unreachable, connect timeout (TimeoutError)
    return False


def unavailable(exc: BaseException) -> DatabaseUnavailableError | None:
    """The domain error for `exc` when it is a connection failure, else None."""
    if isinstance(exc, DatabaseUnavailableError):
        return exc
    return DatabaseUnavailableError() if is_connection_failure(exc) else None


class RateLimitedLog:
    """At most `per_second` lines a second; the next line that gets through says how many were
    left out."""

    def __init__(self, logger: logging.Logger, per_second: float = 2.0) -> None:
        self.logger = logger
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._skipped = 0

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now < self._next:
            self._skipped += 1
            return
        self._next = now + self.interval
        if self._skipped:
            message += f" ({self._skipped} similar lines left out)"
            self._skipped = 0
        self.logger.warning(message, *args)


UNAVAILABLE_LOG = RateLimitedLog(logging.getLogger("ledgerflow.database"))


def describe(exc: BaseException) -> str:
    """One line: the innermost driver error's class and message."""
    inner = _chain(exc)[-1]
    text = str(inner).splitlines()[0] if str(inner) else ""
    return f"{inner.__class__.__name__}: {text}"[:200]
